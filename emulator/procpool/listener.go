package procpool

import (
	"log/slog"
	"net"
)

// peerListener is a runtime process's Runtime API listener. It accepts
// only connections that come from the process or one of its descendants
// (checkPeer: on Linux, the process holding the connection's other end;
// elsewhere no check): the port is a loopback one, any local process can
// read it from the runtime's environment, and a connection from anyone
// else could take the function's invocations and answer them. A refused
// connection is closed before a byte is read from it, and logged.
// Connections are kept alive, so the check is once per connection.
type peerListener struct {
	net.Listener
	logger *slog.Logger
	// started is closed once fam is set (the process was started), or
	// the start failed (fam nil): nothing connects before that but a
	// stranger, and a connection then waits for it.
	started chan struct{}
	fam     *family
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		<-l.started
		err = errNotStarted
		if l.fam != nil {
			err = checkPeer(c, l.fam)
		}
		if err == nil {
			return c, nil
		}
		l.logger.Warn("runtime API connection refused", "remote", c.RemoteAddr().String(), "reason", err.Error())
		c.Close()
	}
}
