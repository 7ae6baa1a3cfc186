package tailbuf

import (
	"bytes"
	"strings"
	"testing"
)

func TestBuffer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"empty", nil, ""},
		{"within", []string{"ab", "cd"}, "abcd"},
		{"exactly", []string{"abcdefgh"}, "abcdefgh"},
		{"one large write", []string{"0123456789"}, DroppedNote + "23456789"},
		{"many small writes", strings.Split("abcdefghijklmnopqrstuvwxyz", ""), DroppedNote + "stuvwxyz"},
		{"compaction", []string{"abcdefgh", "ijklmnop", "q"}, DroppedNote + "jklmnopq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := New(8)
			for _, w := range tc.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := string(b.Bytes()); got != tc.want {
				t.Fatalf("Bytes = %q, want %q", got, tc.want)
			}
			b.Reset()
			b.Write([]byte("x"))
			if got := b.Bytes(); !bytes.Equal(got, []byte("x")) {
				t.Fatalf("after Reset: %q", got)
			}
		})
	}
}
