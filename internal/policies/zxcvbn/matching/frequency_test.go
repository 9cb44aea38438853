package matching

import (
	"slices"
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
)

func TestFrequencyListsMatchUpstream(t *testing.T) {
	got := frequencyLists()
	if len(got) != len(frequency.FrequencyLists) {
		t.Fatalf("%d lists, upstream has %d", len(got), len(frequency.FrequencyLists))
	}
	for name, want := range frequency.FrequencyLists {
		t.Run(name, func(t *testing.T) {
			if !slices.Equal(got[name], want) {
				t.Errorf("list %s differs from upstream (%d words, upstream %d)", name, len(got[name]), len(want))
			}
		})
	}
}
