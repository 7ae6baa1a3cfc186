//go:build !wasip1

package hosthttp

func hostRequest(head, body []byte) (int32, error)                      { return 0, ErrNotInSandbox }
func hostHead(h int32) ([]byte, error)                                  { return nil, ErrNotInSandbox }
func hostRead(h int32, p []byte) (int, error)                           { return 0, ErrNotInSandbox }
func hostClose(h int32)                                                 {}
func hostInvoke(name string, payload []byte, event bool) (int32, error) { return 0, ErrNotInSandbox }

// Install is only meaningful inside a fresco sandbox (GOOS=wasip1).
func Install() {}
