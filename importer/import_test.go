package importer_test

import (
	"strings"
	"testing"

	"github.com/lbgen/lbgen/generator"
	"github.com/lbgen/lbgen/importer"
	"github.com/lbgen/lbgen/model"
)

// TestIncludesAreFollowed splits a config over an include with a glob and
// an include that names nothing: the first is read where it stands, the
// second is a finding.
func TestIncludesAreFollowed(t *testing.T) {
	files := memory{
		"conf/nginx.conf": `http {
    include cluster/*.conf;
    include missing.conf;
    server {
        listen 8080;
        location /cobrowse {
            proxy_pass http://nodes;
        }
    }
}
`,
		"conf/cluster/nodes.conf": `upstream nodes {
    server 10.0.0.1:8700;
}
map $cookie_gcbSessionServer $node {
    .CB_Server_1 10.0.0.1:8700;
}
`,
	}
	r, err := importer.Import(generator.Nginx, "conf/nginx.conf", files)
	if err != nil {
		t.Fatal(err)
	}
	if r.YAML == nil {
		t.Fatalf("nothing imported: %v", r.Findings)
	}
	for _, want := range []string{"name: CB_Server_1 # from conf/cluster/nodes.conf:5", "host: 10.0.0.1", "cookie: gcbSessionServer # from conf/cluster/nodes.conf:4"} {
		if !strings.Contains(string(r.YAML), want) {
			t.Errorf("imported file lacks %q:\n%s", want, r.YAML)
		}
	}
	if !hasFinding(r.Findings, "conf/nginx.conf", 3, "I-include") {
		t.Errorf("the missing include is not reported: %v", r.Findings)
	}
}

// TestApacheIncludesFromServerRoot: httpd reads relative Include paths
// from ServerRoot, not from the including file.
func TestApacheIncludesFromServerRoot(t *testing.T) {
	files := memory{
		"etc/apache2/sites/main.conf": "ServerRoot etc/apache2\nListen 9080\nInclude conf/balancer.conf\nProxyPass /server balancer://gwe\n",
		"etc/apache2/conf/balancer.conf": `<Proxy balancer://gwe>
    BalancerMember http://10.0.0.1:9081 route=GWE_Node_1
    ProxySet stickysession=GWROUTEID
</Proxy>
`,
	}
	r, err := importer.Import(generator.Apache, "etc/apache2/sites/main.conf", files)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.YAML), "name: GWE_Node_1 # from etc/apache2/conf/balancer.conf:2") {
		t.Errorf("the include under ServerRoot was not read: %v\n%s", r.Findings, r.YAML)
	}
}

// TestSyntaxErrorIsPositioned checks that a config its server could not
// load either is refused with the place of the fault.
func TestSyntaxErrorIsPositioned(t *testing.T) {
	for _, tc := range []struct {
		target generator.Target
		text   string
		line   int
	}{
		{generator.Nginx, "http {\n    upstream u {\n        server 10.0.0.1\n    }\n", 3},
		{generator.Apache, "<Proxy balancer://c>\n    BalancerMember http://10.0.0.1:80\n", 1},
		{generator.HAProxy, "backend b\n    server s1 \"10.0.0.1:80\n", 2},
	} {
		name := tc.target.FileName()
		r, err := importer.Import(tc.target, name, memory{name: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		if r.YAML != nil || !hasFinding(r.Findings, name, tc.line, "I-syntax") {
			t.Errorf("%s: want an I-syntax error on line %d, got %v", tc.target, tc.line, r.Findings)
		}
	}
}

func hasFinding(ds []model.Diagnostic, file string, line int, code string) bool {
	for _, d := range ds {
		if d.File == file && d.Line == line && d.Code == code {
			return true
		}
	}
	return false
}
