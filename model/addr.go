package model

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ParseListen splits a listen address written as "PORT", "ADDR:PORT" or
// "[IPv6]:PORT". An empty host means every address.
func ParseListen(addr string) (host string, port int, err error) {
	if !strings.Contains(addr, ":") {
		port, err = parsePort(addr)
		return "", port, err
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%s is not PORT or ADDR:PORT", Quote(addr))
	}
	if host != "" && host != "*" {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return "", 0, fmt.Errorf("%s is not an IP address", Quote(host))
		}
		if a.Zone() != "" {
			return "", 0, fmt.Errorf("%s has an IPv6 zone, which the targets cannot bind", Quote(host))
		}
	}
	if host == "*" {
		host = ""
	}
	if port, err = parsePort(p); err != nil {
		return "", 0, err
	}
	return host, port, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("port %s is not a number", Quote(s))
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d is outside 1-65535", p)
	}
	return p, nil
}

// HostPort joins host and port, bracketing IPv6 addresses.
func HostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// IsIPv6 reports whether host is an IPv6 literal.
func IsIPv6(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is6() && !a.Is4In6()
}
