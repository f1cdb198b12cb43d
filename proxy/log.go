package proxy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// logf writes one line to Options.Log; lines from concurrent requests
// never interleave.
func (p *Proxy) logf(format string, args ...any) {
	p.writeLine(fmt.Appendf(nil, format+"\n", args...))
}

func (p *Proxy) writeLine(line []byte) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.logBatch = append(p.logBatch, line...)
	p.flushLocked()
}

// Request lines are written in batches while other requests are being
// served, as nginx's access_log buffer= writes them: a system call per
// line is a large share of what a request costs under load. A batch goes
// out once no request is being served, when it reaches logBatchSize, or
// logFlushDelay after its first line; any other line and Shutdown write
// it out at once.
const (
	logBatchSize  = 32 << 10
	logFlushDelay = time.Second
)

// batchLine adds a request line to the batch.
func (p *Proxy) batchLine(line []byte) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.logBatch = append(p.logBatch, line...)
	switch {
	case p.serving.Load() == 0 || len(p.logBatch) >= logBatchSize:
		p.flushLocked()
	case p.logTimer == nil:
		p.logTimer = time.AfterFunc(logFlushDelay, p.flushLog)
	}
}

func (p *Proxy) flushLog() {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	p.flushLocked()
}

func (p *Proxy) flushLocked() {
	if p.logTimer != nil {
		p.logTimer.Stop()
		p.logTimer = nil
	}
	if len(p.logBatch) > 0 {
		_, _ = p.log.Write(p.logBatch)
		p.logBatch = p.logBatch[:0]
	}
}

// lineBuffers hold request lines while they are formatted.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// logRequest writes the line of one request:
//
//	listener=127.0.0.1:8080 method=GET uri=/cobrowse/x status=200 node=CB_Server_1 reason=sticky route=CB_Server_1 ms=1
//
// followed by err="..." when the request failed.
func (p *Proxy) logRequest(ex *exchange, d time.Duration) {
	bp := lineBuffers.Get().(*[]byte)
	b := append((*bp)[:0], "listener="...)
	b = appendField(b, ex.h.label)
	b = appendField(append(b, " method="...), ex.method)
	b = appendField(append(b, " uri="...), ex.uri)
	b = strconv.AppendInt(append(b, " status="...), int64(ex.rec.status), 10)
	b = appendField(append(b, " node="...), ex.target())
	b = appendField(append(b, " reason="...), ex.reason)
	b = appendField(append(b, " route="...), ex.route)
	b = strconv.AppendInt(append(b, " ms="...), d.Milliseconds(), 10)
	if ex.err != nil {
		b = appendField(append(b, " err="...), ex.err.Error())
	}
	b = append(b, '\n')
	p.batchLine(b)
	*bp = b
	lineBuffers.Put(bp)
}

// field formats a log value: bare when it is a plain token, quoted when
// it is empty or holds spaces, quotes, = or non-printable bytes.
func field(s string) string { return string(appendField(nil, s)) }

func appendField(b []byte, s string) []byte {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r >= 0x7f }) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
