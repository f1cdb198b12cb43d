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
	return path.Clean("/" + p)
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
