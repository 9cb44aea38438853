package output

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// Progress reports the progress of a long operation on stderr.
type Progress interface {
	Add(n int)
	Finish()
}

type noProgress struct{}

func (noProgress) Add(int) {}
func (noProgress) Finish() {}

// NewProgress returns a progress bar of total steps on stderr when stderr
// is a terminal and show is true, and a Progress that prints nothing
// otherwise (pipes and logs never get bar fragments).
func NewProgress(ios *iostreams.IOStreams, show bool, total int, description string) Progress {
	if !show || !ios.IsStderrTTY() || total <= 0 {
		return noProgress{}
	}
	return &bar{b: newBar(ios.ErrOut, total, description, ios.ErrColorEnabled())}
}

func newBar(w io.Writer, total int, description string, color bool) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionEnableColorCodes(color),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetRenderBlankState(true),
	)
}

type bar struct{ b *progressbar.ProgressBar }

func (p *bar) Add(n int) { _ = p.b.Add(n) }
func (p *bar) Finish()   { _ = p.b.Finish() }
