package procpool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerChecked is true where the Runtime API can tell which process a
// connection comes from.
const peerChecked = true

// The sock_diag netlink ABI (linux/inet_diag.h) that golang.org/x/sys does
// not define.
const (
	inetDiagReqV2Len = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	inetDiagAllState = 0xfff
)

// errNoSocket is a connection whose client socket is not found: its
// process closed it already.
var errNoSocket = errors.New("peer socket not found")

// peerSocket returns the inode and owner uid of the socket at the other
// end of c, a TCP connection accepted on the loopback, asking the kernel
// (sock_diag) for the socket whose source is c's remote address and whose
// destination is c's local one: one exact lookup, whatever the number of
// sockets on the machine.
func peerSocket(c net.Conn) (inode, uid uint32, err error) {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("not a TCP connection: %v", c.RemoteAddr())
	}
	family, src, dst := uint8(unix.AF_INET6), remote.IP.To16(), local.IP.To16()
	if ip4 := remote.IP.To4(); ip4 != nil && local.IP.To4() != nil {
		family, src, dst = unix.AF_INET, ip4, local.IP.To4()
	}

	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, 0, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)

	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))         // nlmsg_len
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY) // nlmsg_type
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)       // nlmsg_flags
	ne.PutUint32(req[8:], 1)                        // nlmsg_seq
	r := req[unix.NLMSG_HDRLEN:]
	r[0], r[1] = family, unix.IPPROTO_TCP                   // sdiag_family, sdiag_protocol
	ne.PutUint32(r[4:], inetDiagAllState)                   // idiag_states
	id := r[8:]                                             // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], uint16(remote.Port)) // idiag_sport
	binary.BigEndian.PutUint16(id[2:], uint16(local.Port))  // idiag_dport
	copy(id[4:20], src)                                     // idiag_src
	copy(id[20:36], dst)                                    // idiag_dst
	ne.PutUint32(id[40:], ^uint32(0))                       // idiag_cookie: INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], ^uint32(0))
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, 0, fmt.Errorf("sock_diag request: %w", err)
	}

	buf := make([]byte, 1024)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("sock_diag answer: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return 0, 0, fmt.Errorf("sock_diag answer: %w", err)
	}
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if errno := unix.Errno(-int32(ne.Uint32(m.Data))); errno == unix.ENOENT {
					return 0, 0, errNoSocket
				} else if errno != 0 {
					return 0, 0, fmt.Errorf("sock_diag: %w", errno)
				}
			}
		case unix.SOCK_DIAG_BY_FAMILY:
			if len(m.Data) >= inetDiagMsgLen {
				return ne.Uint32(m.Data[68:]), ne.Uint32(m.Data[64:]), nil
			}
		}
	}
	return 0, 0, errNoSocket
}

// holdsSocket tells whether process pid has socket inode open.
func holdsSocket(pid int, inode uint32) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	d, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return false
	}
	want := "socket:[" + strconv.FormatUint(uint64(inode), 10) + "]"
	for _, name := range names {
		if link, err := os.Readlink(dir + name); err == nil && link == want {
			return true
		}
	}
	return false
}

// uid is fresco's own user id: a peer socket of another user is refused
// without looking further.
var uid = sync.OnceValue(func() uint32 { return uint32(os.Getuid()) })

// checkPeer tells whether c comes from a member of fam: nil when it does;
// otherwise why not. The root, the likeliest client, is looked at first.
func checkPeer(c net.Conn, fam *family) error {
	inode, owner, err := peerSocket(c)
	if err != nil {
		return err
	}
	if owner != uid() {
		return fmt.Errorf("peer socket of uid %d", owner)
	}
	found := false
	fam.walk(func(pid int, _ procStat) bool {
		found = holdsSocket(pid, inode)
		return !found
	})
	if !found {
		return fmt.Errorf("socket %d is not held by the runtime process or its descendants", inode)
	}
	return nil
}
