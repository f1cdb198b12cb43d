package proxy

import (
	"cmp"
	"encoding/binary"
	"hash/crc32"
	"slices"
)

// ring is nginx's consistent hash ("hash ... consistent", ketama): each
// node has 160 points per unit of weight, derived from its address as the
// nginx configuration writes it, so the proxy picks the node nginx picks.
type ring struct {
	points []ringPoint
}

type ringPoint struct {
	hash uint32
	node *node
}

// chashTries is how many points nginx walks past unusable nodes before it
// gives up and uses round robin.
const chashTries = 20

func newRing(nodes []*node, addr func(*node) string) *ring {
	r := &ring{}
	for _, n := range nodes {
		host, port := splitServer(addr(n))
		base := append(append([]byte(host), 0), port...)
		var prev [4]byte
		for range n.Weight * 160 {
			h := crc32.ChecksumIEEE(append(base, prev[:]...))
			r.points = append(r.points, ringPoint{hash: h, node: n})
			binary.LittleEndian.PutUint32(prev[:], h)
		}
	}
	slices.SortStableFunc(r.points, func(a, b ringPoint) int { return cmp.Compare(a.hash, b.hash) })
	// nginx keeps the first of equal points.
	r.points = slices.CompactFunc(r.points, func(a, b ringPoint) bool { return a.hash == b.hash })
	return r
}

// splitServer splits "host:port" where the port is the digits after the
// last colon, as nginx does for the hash.
func splitServer(s string) (host, port string) {
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c == ':' {
			return s[:i], s[i+1:]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return s, ""
}

// pick returns the first usable node at or after the key's point, or nil
// when chashTries points in a row are not usable.
func (r *ring) pick(key string, usable func(*node) bool) *node {
	if len(r.points) == 0 {
		return nil
	}
	h := crc32.ChecksumIEEE([]byte(key))
	i, _ := slices.BinarySearchFunc(r.points, h, func(p ringPoint, h uint32) int { return cmp.Compare(p.hash, h) })
	for range chashTries + 1 {
		if n := r.points[i%len(r.points)].node; usable(n) {
			return n
		}
		i++
	}
	return nil
}
