package matching

import (
	_ "embed"
	"strings"
)

// The ranked word lists of upstream's frequency package, one word a line
// in rank order. Upstream declares them as one map literal of string
// slices, which Go builds at program start: 1.5 MB of heap (and its
// initialiser's code) in every process that links the package, whether or
// not a password is ever checked. Embedded text costs nothing until
// frequencyLists splits it. TestFrequencyListsMatchUpstream checks that
// the files hold exactly upstream's lists.
var (
	//go:embed frequency/passwords.txt
	passwordsList string
	//go:embed frequency/english_wikipedia.txt
	englishWikipediaList string
	//go:embed frequency/female_names.txt
	femaleNamesList string
	//go:embed frequency/surnames.txt
	surnamesList string
	//go:embed frequency/us_tv_and_film.txt
	usTVAndFilmList string
	//go:embed frequency/male_names.txt
	maleNamesList string
)

// frequencyLists returns the lists by upstream's names.
func frequencyLists() map[string][]string {
	lines := func(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
	return map[string][]string{
		"passwords":         lines(passwordsList),
		"english_wikipedia": lines(englishWikipediaList),
		"female_names":      lines(femaleNamesList),
		"surnames":          lines(surnamesList),
		"us_tv_and_film":    lines(usTVAndFilmList),
		"male_names":        lines(maleNamesList),
	}
}
