package generator

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

// forbiddenFuncs read the clock, randomness or the environment, or are
// otherwise not deterministic; templates never get them.
var forbiddenFuncs = []string{
	"now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify", "mustDateModify", "must_date_modify",
	"ago", "duration", "durationRound", "htmlDate", "htmlDateInZone", "toDate", "mustToDate", "unixEpoch",
	"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "randInt", "shuffle", "uuidv4",
	"genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
	"genSignedCert", "genSignedCertWithKey", "derivePassword", "bcrypt", "htpasswd", "encryptAES", "decryptAES",
	"env", "expandenv", "getHostByName", "keys",
}

func funcMap() template.FuncMap {
	fm := sprig.HermeticTxtFuncMap()
	for _, name := range forbiddenFuncs {
		delete(fm, name)
	}
	for name, fn := range projectFuncs {
		fm[name] = fn
	}
	return fm
}

// projectFuncs write values in one server's syntax: quoting, escaping,
// regexes, comments and durations as nginx, Apache or HAProxy read them,
// which sprig's general string functions do not know. Sprig's hermetic
// subset stays available for plain string work.
var projectFuncs = template.FuncMap{
	"ngxq":      nginxQuote,
	"ngxtok":    nginxToken,
	"ciphers":   func() string { return TLSCiphers },
	"ngxre":     nginxRegexQuote,
	"ngxdur":    unitDuration,
	"seconds":   ceilSeconds,
	"apq":       apacheQuote,
	"aptok":     apacheToken,
	"apre":      apacheRegexQuote,
	"apcomment": apacheComment,
	"hapq":      haproxyQuote,
	"hapsq":     haproxySingleQuote,
	"happat":    haproxyPattern,
	"hapdur":    haproxyDuration,
	"hapcmt":    haproxyComment,
}

// checkInert refuses text that could end a quoted string, comment or
// directive, or expand a variable, in any target. Validation refuses
// these already; this keeps the generator safe on its own. allowed lists
// exceptions.
func checkInert(s, allowed string) error {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < 0x20 || b == 0x7f || strings.IndexByte("$\"'`", b) >= 0) && strings.IndexByte(allowed, b) < 0 {
			return fmt.Errorf("refusing to write %q: it contains %q", s, rune(b))
		}
	}
	return nil
}

// checkUserString is checkInert for a string of the cluster file, which
// must not hold % either: Apache and HAProxy expand %{...} and %[...] in
// some arguments, where templates write % on purpose.
func checkUserString(s string) error {
	if strings.Contains(s, "%") {
		return fmt.Errorf("refusing to write %q: it contains '%%'", s)
	}
	return checkInert(s, "")
}

// nginxQuote writes s as one double-quoted nginx token.
func nginxQuote(s string) (string, error) {
	if err := checkInert(s, `\`); err != nil {
		return "", err
	}
	return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"`, nil
}

// nginxRegexQuote writes a regular expression as a quoted nginx token.
// Patterns are built from escaped values, so `$` (end anchor) is allowed.
func nginxRegexQuote(re string) (string, error) {
	if err := checkInert(re, `\$`); err != nil {
		return "", err
	}
	return `"` + strings.ReplaceAll(re, `\`, `\\`) + `"`, nil
}

// unitDuration writes whole seconds as "Ns" and anything finer as "Nms",
// as nginx's time directives and Apache's proxy parameters read them.
func unitDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// ceilSeconds rounds up to whole seconds, for directives without units.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// nginxToken writes s bare when it is a plain word and quoted otherwise.
func nginxToken(s string) (string, error) {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/[]-") == "" {
		return s, nil
	}
	return nginxQuote(s)
}

// nginxMapKey writes a literal map key. A leading backslash keeps keys
// that look like regexes (~) or keywords from being read as such.
func nginxMapKey(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "~"), strings.HasPrefix(s, `\`), s == "default", s == "hostnames", s == "include", s == "volatile":
		return nginxQuote(`\` + s)
	}
	return nginxToken(s)
}

// apacheQuote writes s as one double-quoted Apache argument. Inside
// quotes Apache reads a backslash before a quote as an escape and one at
// the end of a line as a continuation, so backslashes are refused too.
func apacheQuote(s string) (string, error) {
	if err := checkInert(s, ""); err != nil {
		return "", err
	}
	if strings.Contains(s, `\`) {
		return "", fmt.Errorf("refusing to write %q: it contains a backslash", s)
	}
	return `"` + s + `"`, nil
}

// apacheComment writes s inside a comment line, which ends at a newline
// and, with a trailing backslash, would continue onto the next line.
func apacheComment(s string) (string, error) {
	if err := checkInert(s, ""); err != nil {
		return "", err
	}
	if strings.HasSuffix(s, `\`) {
		return "", fmt.Errorf("refusing to write %q: it ends with a backslash", s)
	}
	return s, nil
}

// apacheToken writes s bare when it is a plain word and quoted otherwise.
func apacheToken(s string) (string, error) {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/[]=+@~%*!,-") == "" {
		return s, nil
	}
	return apacheQuote(s)
}

// apacheRegexQuote writes a regular expression as a quoted argument.
// Patterns are built from escaped values, so backslashes and "$" (end
// anchor) are allowed; "${" would expand a variable.
func apacheRegexQuote(re string) (string, error) {
	if err := checkInert(re, `\$`); err != nil {
		return "", err
	}
	if strings.Contains(re, "${") || strings.HasSuffix(re, `\`) {
		return "", fmt.Errorf("refusing to write %q as an Apache pattern", re)
	}
	return `"` + re + `"`, nil
}

// TLSCiphers is the TLS 1.2 cipher list of every target: forward-secret
// AEAD suites only (Mozilla "intermediate" without DHE). TLS 1.3 suites
// are the libraries' defaults.
const TLSCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

// haproxyQuote writes s as one HAProxy word: bare when it is a plain word,
// otherwise in double quotes, where a backslash must be doubled.
func haproxyQuote(s string) (string, error) {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+=,~!*[]-") == "" {
		return s, nil
	}
	if err := checkInert(s, `\`); err != nil {
		return "", err
	}
	return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"`, nil
}

// haproxyComment writes s inside a comment, which a newline would end.
func haproxyComment(s string) (string, error) {
	return s, checkInert(s, "")
}

// haproxyPattern writes an ACL pattern; "--" ends the flags first when the
// pattern could be read as one (-i, -m ...).
func haproxyPattern(s string) (string, error) {
	q, err := haproxyQuote(s)
	if err == nil && strings.HasPrefix(s, "-") {
		q = "-- " + q
	}
	return q, err
}

// haproxySingleQuote writes a sample expression or regular expression the
// generator built from escaped parts as one word. Nothing is interpreted
// inside single quotes, so the arguments inside keep their own quoting
// (see haproxyArg) and regular expressions their backslashes and "$".
func haproxySingleQuote(s string) (string, error) {
	if err := checkInert(s, `"\$`); err != nil {
		return "", err
	}
	return "'" + s + "'", nil
}

// haproxyArg writes s as a double-quoted argument inside parentheses, such
// as the regular expression of regsub(). The argument parser resolves one
// more level of backslashes and quotes.
func haproxyArg(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// haproxyDuration writes d in the largest unit that holds it exactly.
func haproxyDuration(d time.Duration) string {
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.unit
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
