// Package sandbox prepares clusters for running on this machine: loopback
// listeners on free ports and throwaway certificates.
package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"

	"github.com/lbgen/lbgen/internal/selfsigned"
	"github.com/lbgen/lbgen/model"
)

// Ports are picked below the ephemeral ranges (Linux from 32768, macOS
// from 49152): a port the kernel hands out, as to port 0, can be taken by
// the next outgoing connection of a test running beside this one before
// the server that was to listen on it starts.
const (
	firstPort = 20000
	lastPort  = 32767
)

// FreePorts returns n distinct loopback TCP ports that were free a moment
// ago. They are held open together so they are distinct.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range n {
		l, err := listenFree()
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func listenFree() (net.Listener, error) {
	var err error
	for range 200 {
		var l net.Listener
		port := firstPort + rand.IntN(lastPort-firstPort+1)
		if l, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			return l, nil
		}
	}
	return nil, fmt.Errorf("find a free port: %w", err)
}

// SelfSigned writes a self-signed certificate and key for localhost and
// 127.0.0.1 into dir and returns their paths.
func SelfSigned(dir string) (certFile, keyFile string, err error) {
	cert, key, err := selfsigned.PEM()
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "lbgen-selfsigned.crt"), filepath.Join(dir, "lbgen-selfsigned.key")
	if err := os.WriteFile(certFile, cert, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// ForCheck returns a copy of c that a server can load here: every listener
// (and the admin page) on a free loopback port, and certificate files that
// do not exist replaced by a self-signed pair written into dir. Notes say
// what was replaced. Relative certificate paths are looked up from the
// current directory.
func ForCheck(c *model.Cluster, dir string) (*model.Cluster, []string, error) {
	out := c.Clone()
	n := len(out.Listen)
	if out.Admin != nil {
		n++
	}
	ports, err := FreePorts(n)
	if err != nil {
		return nil, nil, err
	}
	for i := range out.Listen {
		out.Listen[i].Addr = fmt.Sprintf("127.0.0.1:%d", ports[i])
	}
	if out.Admin != nil {
		out.Admin.Addr = fmt.Sprintf("127.0.0.1:%d", ports[n-1])
	}
	var notes []string
	if len(c.Listen) > 0 {
		notes = append(notes, "listen addresses were replaced by free loopback ports for the check")
	}
	if out.TLS == nil || out.TLS.Certificate == "" {
		return out, notes, nil
	}
	cert, certErr := filepath.Abs(out.TLS.Certificate)
	key, keyErr := filepath.Abs(out.TLS.Key)
	if certErr == nil && keyErr == nil && exists(cert) && exists(key) {
		out.TLS.Certificate, out.TLS.Key = cert, key
		return out, notes, nil
	}
	if out.TLS.Certificate, out.TLS.Key, err = SelfSigned(dir); err != nil {
		return nil, nil, err
	}
	notes = append(notes, fmt.Sprintf("certificate %s or key %s not found here; checked with a self-signed pair", c.TLS.Certificate, c.TLS.Key))
	return out, notes, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
