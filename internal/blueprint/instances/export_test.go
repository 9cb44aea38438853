package instances

import "context"

// ApplyAll exposes applyAll to the external tests: discovery's apply of
// instances it has just listed, without reading them again.
func (m *Manager) ApplyAll(ctx context.Context, pending []*Instance) (applied int, failed int, err error) {
	n, f, err := m.applyAll(ctx, pending)
	return n, len(f), err
}
