package proxy

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"
)

// under reports whether p is prefix or below it segment-wise: /app covers
// /app and /app/x but not /appx, and / covers everything.
func under(p, prefix string) bool {
	if prefix == "/" {
		return true
	}
	rest, ok := strings.CutPrefix(p, prefix)
	return ok && (rest == "" || rest[0] == '/')
}

// cleanPath is the path locations are matched on, as nginx matches them:
// percent-decoded (net/http has done that), slashes merged and dot
// segments resolved.
func cleanPath(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean("/" + p)
}

// reachesInternal reports whether a decoded request path may reach one of
// the internal paths on a node. Servlet containers (Jetty, Tomcat) drop
// path parameters, ";" up to the next "/", from every segment before they
// map a request, so the parameters are removed from the cleaned path
// first: /app/rest;x and /app;x/rest reach /app/rest. An encoded %3B
// counts as ";" (net/http has decoded it): refusing more is safe. Paths
// with an ambiguous segment never get here (see ambiguousSegment).
func reachesInternal(decoded string, internal []string) bool {
	if len(internal) == 0 {
		return false
	}
	p := stripParams(cleanPath(decoded))
	return slices.ContainsFunc(internal, func(ip string) bool { return under(p, ip) })
}

// stripParams removes ";" and what follows it up to the next "/" from
// every segment of p.
func stripParams(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

// ambiguousSegment reports whether a decoded path has a segment that
// carries path parameters and is empty, "." or ".." once they are removed,
// with another segment after it (/;x/, /.;x/, /..;x/). A container drops
// the parameters and then resolves the segment, where the balancer cannot
// see it: /app/..;/manager/html is /manager/html to Tomcat, another
// application on the node. Such a request is refused on every listener.
// A plain //, /./ or /../ is not ambiguous: balancer and node resolve it
// alike. A last such segment (/app/;jsessionid=1, from URL rewriting)
// has nothing after it to move.
func ambiguousSegment(p string) bool {
	for {
		seg, rest, more := strings.Cut(p, "/")
		if !more {
			return false
		}
		if base, _, ok := strings.Cut(seg, ";"); ok && (base == "" || base == "." || base == "..") {
			return true
		}
		p = rest
	}
}

// parseAllow reads an allow list of IP addresses and CIDR networks.
func parseAllow(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, a := range list {
		if prefix, err := netip.ParsePrefix(a); err == nil {
			out = append(out, prefix.Masked())
			continue
		}
		addr, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("allow entry %q is not an IP address or CIDR network", a)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}

// allowed reports whether a client address passes an allow list; an empty
// list admits everyone.
func allowed(allow []netip.Prefix, remoteAddr string) bool {
	if len(allow) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	return slices.ContainsFunc(allow, func(p netip.Prefix) bool { return p.Contains(addr) })
}
