package proxy

import "strings"

// stickyValue returns the session value a request carries: the URL
// parameter when param is set and present in the raw query, otherwise the
// cookie. ok is false when the request carries neither.
func stickyValue(rawQuery string, cookieLines []string, param, cookie string) (value string, ok bool) {
	if param != "" {
		if v, ok := queryParam(rawQuery, param); ok {
			return v, true
		}
	}
	return cookieValue(cookieLines, cookie)
}

// queryParam finds the first name=value pair of a raw query. The value is
// not URL-decoded, as none of the load balancers decode it, and an empty
// value still counts as present.
func queryParam(rawQuery, name string) (string, bool) {
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if v, ok := strings.CutPrefix(pair, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// cookieValue finds the first cookie called name across every Cookie
// header line. It parses by hand because net/http drops and unquotes
// values that nginx, Apache and HAProxy pass through verbatim.
func cookieValue(lines []string, name string) (string, bool) {
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			k, v, ok := strings.Cut(strings.Trim(part, " \t"), "=")
			if ok && k == name {
				return strings.Trim(v, " \t"), true
			}
		}
	}
	return "", false
}

// routeOf returns the text after the first "." of a sticky value (the
// Tomcat and mod_proxy_balancer rule), or "" when there is no dot.
func routeOf(value string) string {
	_, route, _ := strings.Cut(value, ".")
	return route
}
