package slug

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Make is Django's slugify without allow_unicode, which authentik uses for
// system task names and generated identifiers: accents are folded (NFKD,
// then only ASCII kept: "Crème" is "creme"), the text is lower-cased, every
// character other than letters, digits, underscores, hyphens and
// whitespace is dropped, runs of hyphens and whitespace become one hyphen,
// and hyphens and underscores are stripped from both ends.
func Make(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false // a run of hyphens or whitespace is pending
	for _, r := range norm.NFKD.String(s) {
		if r >= 0x80 {
			continue
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if sep {
				b.WriteByte('-')
				sep = false
			}
			b.WriteRune(r)
		case r == '-' || isSpace(r):
			sep = true
		}
	}
	if sep {
		b.WriteByte('-')
	}
	return strings.Trim(b.String(), "-_")
}

// isSpace is what Python's \s matches below 0x80.
func isSpace(r rune) bool {
	return r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f)
}
