package cli

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events of generate-event, one builder per event. Each builds
// a value of the aws-lambda-go type a Go handler would decode the event
// into; the shapes follow AWS's documentation of each service's event.

// genTime is when every sample event happens, so that output is stable.
var genTime = time.Date(2025, time.March, 14, 15, 9, 26, 535_000_000, time.UTC)

const (
	// genSourceIP is the caller's address: TEST-NET-2, reserved for docs.
	genSourceIP  = "198.51.100.7"
	genUserAgent = "curl/8.5.0"
)

// genAPIFlags are the flags of the API Gateway events.
type genAPIFlags struct {
	scope    genScope
	path     string
	method   string
	body     string
	stage    string
	resource string
	query    string
}

func (a *genAPIFlags) register(fs *flag.FlagSet, stage string) {
	a.scope.register(fs, false, true)
	fs.StringVar(&a.path, "path", "/path/to/resource", "request path")
	fs.StringVar(&a.method, "method", "POST", "HTTP method")
	fs.StringVar(&a.body, "body", `{"message":"hello world"}`, "request body (default none for GET, HEAD and OPTIONS)")
	fs.StringVar(&a.stage, "stage", stage, "API stage")
	fs.StringVar(&a.resource, "resource", "/{proxy+}", "resource (route) the path matched, with {param} and greedy {param+}")
	fs.StringVar(&a.query, "query", "", "query string, e.g. 'q=1&tag=a&tag=b'")
}

var (
	genMethodRE = regexp.MustCompile(`^[A-Z]+$`)
	genStageRE  = regexp.MustCompile(`^(\$default|[A-Za-z0-9_-]+)$`)
)

// request validates the flags and returns the method, body, query and
// path parameters of the request.
func (a *genAPIFlags) request(v2 bool) (method, body string, query url.Values, params map[string]string, err error) {
	if err := a.scope.validate(); err != nil {
		return "", "", nil, nil, err
	}
	method = strings.ToUpper(a.method)
	if !genMethodRE.MatchString(method) {
		return "", "", nil, nil, &usageError{fmt.Sprintf("bad --method %q", a.method)}
	}
	if !strings.HasPrefix(a.path, "/") {
		return "", "", nil, nil, &usageError{fmt.Sprintf("bad --path %q, want it to start with /", a.path)}
	}
	if !genStageRE.MatchString(a.stage) || (a.stage == "$default" && !v2) {
		return "", "", nil, nil, &usageError{fmt.Sprintf("bad --stage %q", a.stage)}
	}
	a.query = strings.TrimPrefix(a.query, "?")
	if query, err = url.ParseQuery(a.query); err != nil {
		return "", "", nil, nil, &usageError{fmt.Sprintf("bad --query %q: %v", a.query, err)}
	}
	if v2 && a.resource == "$default" {
		// The $default route matches any path and has no parameters.
	} else {
		var ok bool
		if params, ok = genMatchResource(a.resource, a.path); !ok {
			return "", "", nil, nil, &usageError{fmt.Sprintf("--path %q does not match --resource %q", a.path, a.resource)}
		}
	}
	body = a.body
	if !genFlagsSet(a.scope.fs)["body"] && (method == "GET" || method == "HEAD" || method == "OPTIONS") {
		body = ""
	}
	return method, body, query, params, nil
}

// genMatchResource matches an API Gateway resource path such as
// /users/{id}/{proxy+} against a request path and returns the path
// parameters, nil when there are none.
func genMatchResource(resource, path string) (map[string]string, bool) {
	if !strings.HasPrefix(resource, "/") {
		return nil, false
	}
	rs := strings.Split(strings.Trim(resource, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, r := range rs {
		if !strings.HasPrefix(r, "{") || !strings.HasSuffix(r, "}") {
			if i >= len(ps) || ps[i] != r {
				return nil, false
			}
			continue
		}
		name := r[1 : len(r)-1]
		if greedy, ok := strings.CutSuffix(name, "+"); ok {
			rest := strings.Join(ps[min(i, len(ps)):], "/")
			if i != len(rs)-1 || greedy == "" || rest == "" {
				return nil, false
			}
			params[greedy] = rest
			return params, true
		}
		if name == "" || i >= len(ps) || ps[i] == "" {
			return nil, false
		}
		params[name] = ps[i]
	}
	if len(ps) != len(rs) {
		return nil, false
	}
	if len(params) == 0 {
		return nil, true
	}
	return params, true
}

// genContentType guesses the Content-Type of a sample body.
func genContentType(body string) string {
	if json.Valid([]byte(body)) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// genAPIIDs are the ids of an API and its request, shared by both payload
// formats.
type genAPIIDs struct {
	apiID, host, traceID string
}

func newGenAPIIDs(ids *genIDSource, scope *genScope) genAPIIDs {
	apiID := ids.of(genLowerAlnum, 10)
	return genAPIIDs{
		apiID:   apiID,
		host:    apiID + ".execute-api." + scope.region + "." + scope.dnsSuffix(),
		traceID: fmt.Sprintf("Root=1-%08x-%s", genTime.Unix(), ids.hex(24)),
	}
}

// genExtendedRequestID looks like API Gateway's extended request ids:
// 11 bytes in base64.
func genExtendedRequestID(ids *genIDSource) string {
	return ids.base64(11)
}

func defineAPIGatewayProxy(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var a genAPIFlags
	a.register(fs, "prod")
	return func(ids *genIDSource) (any, error) {
		method, body, query, params, err := a.request(false)
		if err != nil {
			return nil, err
		}
		api := newGenAPIIDs(ids, &a.scope)
		headers := map[string]string{
			"Accept":            "*/*",
			"Host":              api.host,
			"User-Agent":        genUserAgent,
			"X-Amzn-Trace-Id":   api.traceID,
			"X-Forwarded-For":   genSourceIP,
			"X-Forwarded-Port":  "443",
			"X-Forwarded-Proto": "https",
		}
		if body != "" {
			headers["Content-Type"] = genContentType(body)
		}
		multiHeaders := map[string][]string{}
		for k, v := range headers {
			multiHeaders[k] = []string{v}
		}
		// REST APIs pass the last value of a repeated query parameter in
		// queryStringParameters and all of them in the multi-value map.
		var single map[string]string
		var multi map[string][]string
		if len(query) > 0 {
			single, multi = map[string]string{}, map[string][]string(query)
			for k, v := range query {
				single[k] = v[len(v)-1]
			}
		}
		return events.APIGatewayProxyRequest{
			Resource:                        a.resource,
			Path:                            a.path,
			HTTPMethod:                      method,
			Headers:                         headers,
			MultiValueHeaders:               multiHeaders,
			QueryStringParameters:           single,
			MultiValueQueryStringParameters: multi,
			PathParameters:                  params,
			RequestContext: events.APIGatewayProxyRequestContext{
				AccountID:         a.scope.account,
				ResourceID:        ids.of(genLowerAlnum, 6),
				Stage:             a.stage,
				DomainName:        api.host,
				DomainPrefix:      api.apiID,
				RequestID:         ids.uuid(),
				ExtendedRequestID: genExtendedRequestID(ids),
				Protocol:          "HTTP/1.1",
				Identity: events.APIGatewayRequestIdentity{
					SourceIP:  genSourceIP,
					UserAgent: genUserAgent,
				},
				ResourcePath:     a.resource,
				Path:             "/" + a.stage + a.path,
				HTTPMethod:       method,
				RequestTime:      genTime.Format("02/Jan/2006:15:04:05 -0700"),
				RequestTimeEpoch: genTime.UnixMilli(),
				APIID:            api.apiID,
			},
			Body: body,
		}, nil
	}
}

func defineAPIGatewayV2HTTP(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var a genAPIFlags
	a.register(fs, "$default")
	fs.Lookup("resource").Usage = "route the path matched, with {param} and greedy {param+}, or $default"
	return func(ids *genIDSource) (any, error) {
		method, body, query, params, err := a.request(true)
		if err != nil {
			return nil, err
		}
		api := newGenAPIIDs(ids, &a.scope)
		headers := map[string]string{
			"accept":            "*/*",
			"host":              api.host,
			"user-agent":        genUserAgent,
			"x-amzn-trace-id":   api.traceID,
			"x-forwarded-for":   genSourceIP,
			"x-forwarded-port":  "443",
			"x-forwarded-proto": "https",
		}
		if body != "" {
			headers["content-length"] = strconv.Itoa(len(body))
			headers["content-type"] = genContentType(body)
		}
		// HTTP APIs join the values of a repeated query parameter with
		// commas.
		var single map[string]string
		if len(query) > 0 {
			single = map[string]string{}
			for k, v := range query {
				single[k] = strings.Join(v, ",")
			}
		}
		routeKey := method + " " + a.resource
		if a.resource == "$default" {
			routeKey = "$default"
		}
		// On a named stage the stage is part of the raw path.
		rawPath := a.path
		if a.stage != "$default" {
			rawPath = "/" + a.stage + a.path
		}
		return events.APIGatewayV2HTTPRequest{
			Version:               "2.0",
			RouteKey:              routeKey,
			RawPath:               rawPath,
			RawQueryString:        a.query,
			Headers:               headers,
			QueryStringParameters: single,
			PathParameters:        params,
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RouteKey:     routeKey,
				AccountID:    a.scope.account,
				Stage:        a.stage,
				RequestID:    genExtendedRequestID(ids),
				APIID:        api.apiID,
				DomainName:   api.host,
				DomainPrefix: api.apiID,
				Time:         genTime.Format("02/Jan/2006:15:04:05 -0700"),
				TimeEpoch:    genTime.UnixMilli(),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
					Method:    method,
					Path:      rawPath,
					Protocol:  "HTTP/1.1",
					SourceIP:  genSourceIP,
					UserAgent: genUserAgent,
				},
			},
			Body: body,
		}, nil
	}
}

// genBucketRE is S3's rule for bucket names (without the finer points
// such as no IP addresses).
var genBucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// genS3Key encodes an object key as S3 event notifications do: URL
// form encoding, spaces as +, slashes kept.
func genS3Key(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

func defineS3Put(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var scope genScope
	scope.register(fs, true, false)
	bucket := fs.String("bucket", "example-bucket", "bucket name")
	key := fs.String("key", "test/key", "object key, unencoded (the event carries it URL-encoded)")
	return func(ids *genIDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genBucketRE.MatchString(*bucket) {
			return nil, &usageError{fmt.Sprintf("bad --bucket %q, want 3 to 63 lowercase letters, digits, dots and hyphens", *bucket)}
		}
		if *key == "" {
			return nil, &usageError{"--key must not be empty"}
		}
		return events.S3Event{Records: []events.S3EventRecord{{
			EventVersion:      "2.1",
			EventSource:       "aws:s3",
			AWSRegion:         scope.region,
			EventTime:         genTime,
			EventName:         "ObjectCreated:Put",
			PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:AIDA" + ids.of(genUpperAlnum, 17)},
			RequestParameters: events.S3RequestParameters{SourceIPAddress: genSourceIP},
			ResponseElements: map[string]string{
				"x-amz-request-id": ids.of(genUpperHex, 16),
				"x-amz-id-2":       ids.base64(57),
			},
			S3: events.S3Entity{
				SchemaVersion:   "1.0",
				ConfigurationID: "fresco-sample-notification",
				Bucket: events.S3Bucket{
					Name:          *bucket,
					OwnerIdentity: events.S3UserIdentity{PrincipalID: "A" + ids.of(genUpperAlnum, 13)},
					Arn:           "arn:" + scope.partition + ":s3:::" + *bucket,
				},
				Object: events.S3Object{
					Key:           genS3Key(*key),
					Size:          1024,
					URLDecodedKey: *key,
					ETag:          ids.hex(32),
					Sequencer:     ids.of(genUpperHex, 18),
				},
			},
		}}}, nil
	}
}

var (
	genQueueRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$`)
	genTopicRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}(\.fifo)?$|^[A-Za-z0-9_-]{1,256}$`)
)

func defineSQSReceiveMessage(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var scope genScope
	scope.register(fs, true, true)
	queue := fs.String("queue-name", "my-queue", "queue name")
	body := fs.String("body", "Hello from SQS!", "message body")
	return func(ids *genIDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genQueueRE.MatchString(*queue) {
			return nil, &usageError{fmt.Sprintf("bad --queue-name %q, want up to 80 letters, digits, - and _", *queue)}
		}
		sum := md5.Sum([]byte(*body))
		sent := genTime.UnixMilli()
		attributes := map[string]string{
			"ApproximateReceiveCount":          "1",
			"SentTimestamp":                    strconv.FormatInt(sent, 10),
			"SenderId":                         "AIDA" + ids.of(genUpperAlnum, 17),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent+17, 10),
		}
		if strings.HasSuffix(*queue, ".fifo") {
			attributes["MessageGroupId"] = "group-1"
			attributes["MessageDeduplicationId"] = ids.hex(64)
			attributes["SequenceNumber"] = "1" + ids.of(genDigits, 19)
		}
		return events.SQSEvent{Records: []events.SQSMessage{{
			MessageId:         ids.uuid(),
			ReceiptHandle:     "AQEB" + ids.base64(132),
			Body:              *body,
			Md5OfBody:         hex.EncodeToString(sum[:]),
			Attributes:        attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    scope.arn("sqs", *queue),
			EventSource:       "aws:sqs",
			AWSRegion:         scope.region,
		}}}, nil
	}
}

// genARNRE splits an ARN into partition, service, region, account and
// resource.
var genARNRE = regexp.MustCompile(`^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$`)

func defineSNSNotification(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var scope genScope
	scope.register(fs, true, true)
	topic := fs.String("topic", "ExampleTopic", "topic name, or topic ARN (which then sets region, partition and account)")
	message := fs.String("message", "Hello from SNS!", "message")
	subject := fs.String("subject", "Example subject", "subject")
	return func(ids *genIDSource) (any, error) {
		name := *topic
		if m := genARNRE.FindStringSubmatch(*topic); m != nil {
			if m[2] != "sns" {
				return nil, &usageError{fmt.Sprintf("--topic %q is not an SNS topic ARN", *topic)}
			}
			set := genFlagsSet(fs)
			for _, c := range []struct{ flag, arn, value string }{
				{"partition", m[1], scope.partition}, {"region", m[3], scope.region}, {"account-id", m[4], scope.account},
			} {
				if set[c.flag] && c.value != c.arn {
					return nil, &usageError{fmt.Sprintf("--%s %q contradicts --topic %q", c.flag, c.value, *topic)}
				}
			}
			// The ARN says it all: nothing is inferred from flags.
			scope.partition, scope.region, scope.account, name = m[1], m[3], m[4], m[5]
			scope.fs = nil
		}
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if !genTopicRE.MatchString(name) {
			return nil, &usageError{fmt.Sprintf("bad --topic %q", *topic)}
		}
		topicARN := scope.arn("sns", name)
		subscriptionARN := topicARN + ":" + ids.uuid()
		endpoint := "https://sns." + scope.region + "." + scope.dnsSuffix()
		return events.SNSEvent{Records: []events.SNSEventRecord{{
			EventVersion:         "1.0",
			EventSubscriptionArn: subscriptionARN,
			EventSource:          "aws:sns",
			SNS: events.SNSEntity{
				Signature:         ids.base64(256),
				MessageID:         ids.uuid(),
				Type:              "Notification",
				TopicArn:          topicARN,
				MessageAttributes: map[string]any{},
				SignatureVersion:  "1",
				Timestamp:         genTime,
				SigningCertURL:    endpoint + "/SimpleNotificationService-" + ids.hex(32) + ".pem",
				Message:           *message,
				UnsubscribeURL:    endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + subscriptionARN,
				Subject:           *subject,
			},
		}}}, nil
	}
}

func defineDynamoDBUpdate(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var scope genScope
	scope.register(fs, true, true)
	return func(ids *genIDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		s, n := events.NewStringAttribute, events.NewNumberAttribute
		keys := map[string]events.DynamoDBAttributeValue{"OrderId": s("order-1001")}
		placed := map[string]events.DynamoDBAttributeValue{
			"OrderId":  s("order-1001"),
			"Customer": s("ada@example.com"),
			"Status":   s("PLACED"),
			"Total":    n("42.50"),
			"Gift":     events.NewBooleanAttribute(false),
			"Tags":     events.NewStringSetAttribute([]string{"books", "priority"}),
			"Lines": events.NewListAttribute([]events.DynamoDBAttributeValue{
				events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"Sku": s("BK-0042"), "Qty": n("2")}),
			}),
			"Note": events.NewNullAttribute(),
		}
		shipped := map[string]events.DynamoDBAttributeValue{}
		for k, v := range placed {
			shipped[k] = v
		}
		shipped["Status"] = s("SHIPPED")
		shipped["ShippedAt"] = n(strconv.FormatInt(genTime.Unix(), 10))

		streamARN := scope.arn("dynamodb", "table/Orders/stream/"+genTime.Add(-72*time.Hour).Format("2006-01-02T15:04:05.000"))
		sequence := ids.of(genDigits, 17)
		record := func(i int, name string, old, new map[string]events.DynamoDBAttributeValue, size int64) events.DynamoDBEventRecord {
			return events.DynamoDBEventRecord{
				AWSRegion: scope.region,
				Change: events.DynamoDBStreamRecord{
					ApproximateCreationDateTime: events.SecondsEpochTime{Time: genTime.Truncate(time.Second).Add(time.Duration(i) * time.Second)},
					Keys:                        keys,
					NewImage:                    new,
					OldImage:                    old,
					SequenceNumber:              fmt.Sprintf("%s%04d", sequence, i+1),
					SizeBytes:                   size,
					StreamViewType:              "NEW_AND_OLD_IMAGES",
				},
				EventID:        ids.hex(32),
				EventName:      name,
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: streamARN,
			}
		}
		return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
			record(0, "INSERT", nil, placed, 142),
			record(1, "MODIFY", placed, shipped, 301),
			record(2, "REMOVE", shipped, nil, 176),
		}}, nil
	}
}

func defineScheduledEvent(fs *flag.FlagSet) func(*genIDSource) (any, error) {
	var scope genScope
	scope.register(fs, true, true)
	rule := fs.String("rule", "ExampleSchedule", "name of the schedule rule")
	return func(ids *genIDSource) (any, error) {
		if err := scope.validate(); err != nil {
			return nil, err
		}
		if *rule == "" || strings.ContainsAny(*rule, " /:") {
			return nil, &usageError{fmt.Sprintf("bad --rule %q", *rule)}
		}
		return events.CloudWatchEvent{
			Version:    "0",
			ID:         ids.uuid(),
			DetailType: "Scheduled Event",
			Source:     "aws.events",
			AccountID:  scope.account,
			Time:       genTime.Truncate(time.Minute),
			Region:     scope.region,
			Resources:  []string{scope.arn("events", "rule/"+*rule)},
			Detail:     json.RawMessage(`{}`),
		}, nil
	}
}
