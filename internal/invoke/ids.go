package invoke

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// NewRequestID returns a random UUID (version 4), as Lambda's request ids.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewTraceID returns an X-Ray trace header, Root=1-<epoch>-<96 bits>;
// Parent=<64 bits>;Sampled=0, in the form Lambda passes to functions.
func NewTraceID() string {
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0",
		time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}
