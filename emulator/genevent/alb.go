package genevent

import (
	"flag"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// genTargetGroupRE is Elastic Load Balancing's rule for target group
// names.
var genTargetGroupRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

// defineALBRequest is a request an Application Load Balancer forwards to a
// Lambda target group, over HTTP on port 80. As ALB does, it passes the
// query string's names and values on as they came, percent-encoded; with
// --multi-value (the target group's multi-value headers attribute) it
// sends every header and query value as a list, else the last of each.
func defineALBRequest(fs *flag.FlagSet) func(*IDSource) (any, error) {
	var scope scope
	scope.register(fs, true, true)
	path := fs.String("path", "/path/to/resource", "request path")
	method := fs.String("method", "POST", "HTTP method")
	body := fs.String("body", `{"message":"hello world"}`, "request body (default none for GET, HEAD and OPTIONS)")
	query := fs.String("query", "", "query string, e.g. 'q=1&tag=a&tag=b'")
	targetGroup := fs.String("target-group", "my-lambda-targets", "target group name")
	multi := fs.Bool("multi-value", false, "multi-value headers: headers and query values as lists")
	return func(ids *IDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		m := strings.ToUpper(*method)
		if !methodRE.MatchString(m) {
			return nil, usage("bad --method %q", *method)
		}
		if !strings.HasPrefix(*path, "/") {
			return nil, usage("bad --path %q, want it to start with /", *path)
		}
		if _, err := url.PathUnescape(*path); err != nil {
			return nil, usage("bad --path %q: %v", *path, err)
		}
		q := strings.TrimPrefix(*query, "?")
		if _, err := url.ParseQuery(q); err != nil {
			return nil, usage("bad --query %q: %v", q, err)
		}
		if !genTargetGroupRE.MatchString(*targetGroup) {
			return nil, usage("bad --target-group %q, want up to 32 letters, digits and hyphens, not starting or ending in one", *targetGroup)
		}
		b := *body
		if !flagsSet(fs)["body"] && (m == "GET" || m == "HEAD" || m == "OPTIONS") {
			b = ""
		}
		lbID := ids.of(digits, 9)
		tgID := ids.hex(16)
		headers := [][2]string{
			{"accept", "*/*"},
			{"host", "my-alb-" + lbID + "." + scope.region + ".elb." + scope.dnsSuffix()},
			{"user-agent", userAgent},
			{"x-amzn-trace-id", "Root=1-" + strconv.FormatInt(genTime.Unix(), 16) + "-" + ids.hex(24)},
			{"x-forwarded-for", sourceIP},
			{"x-forwarded-port", "80"},
			{"x-forwarded-proto", "http"},
		}
		if b != "" {
			headers = append(headers, [2]string{"content-length", strconv.Itoa(len(b))}, [2]string{"content-type", contentType(b)})
		}
		req := events.ALBTargetGroupRequest{
			HTTPMethod: m,
			Path:       *path,
			RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{
				TargetGroupArn: scope.arn("elasticloadbalancing", "targetgroup/"+*targetGroup+"/"+tgID),
			}},
			Body: b,
		}
		if *multi {
			req.MultiValueHeaders = map[string][]string{}
			req.MultiValueQueryStringParameters = map[string][]string{}
			for _, h := range headers {
				req.MultiValueHeaders[h[0]] = []string{h[1]}
			}
		} else {
			req.Headers = map[string]string{}
			req.QueryStringParameters = map[string]string{}
			for _, h := range headers {
				req.Headers[h[0]] = h[1]
			}
		}
		for _, pair := range strings.Split(q, "&") {
			if pair == "" {
				continue
			}
			name, value, _ := strings.Cut(pair, "=")
			if *multi {
				req.MultiValueQueryStringParameters[name] = append(req.MultiValueQueryStringParameters[name], value)
			} else {
				req.QueryStringParameters[name] = value
			}
		}
		return req, nil
	}
}
