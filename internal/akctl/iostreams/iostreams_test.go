package iostreams

import "testing"

func TestNoColorEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", map[string]string{}, false},
		{"NO_COLOR set, even empty", map[string]string{"NO_COLOR": ""}, true},
		{"NO_COLOR=1", map[string]string{"NO_COLOR": "1"}, true},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, true},
		{"TERM=xterm", map[string]string{"TERM": "xterm-256color"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NoColorEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if got != tt.want {
				t.Errorf("NoColorEnv = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestColorOnlyOnATerminal(t *testing.T) {
	s, _, _, _ := Test()
	if s.ColorEnabled() || s.ColorScheme().Red("x") != "x" {
		t.Error("colour without a terminal")
	}
	s.SetStdoutTTY(true)
	if s.ColorEnabled() {
		t.Error("Test streams start with colour forbidden")
	}
	s.SetColor(true)
	if !s.ColorEnabled() || s.ColorScheme().Red("x") != "\x1b[31mx\x1b[0m" {
		t.Error("no colour on a terminal that allows it")
	}
	if s.ErrColorEnabled() {
		t.Error("stderr coloured while not a terminal")
	}
	s.SetColor(false)
	if s.ColorEnabled() {
		t.Error("colour despite NO_COLOR")
	}
	if s.TerminalWidth() != 0 {
		t.Error("width without a size")
	}
}
