package blueprint

import (
	"testing"
	"unsafe"
)

// TestNodeSize guards the field order of Node: a large blueprint's parse
// tree holds a million Nodes, and one more padded field moves every one
// of them to the next allocation size class (144 bytes).
func TestNodeSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes checked on 64-bit platforms")
	}
	if got := unsafe.Sizeof(Node{}); got > 128 {
		t.Errorf("a Node takes %d bytes, want at most 128", got)
	}
}
