package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/edge"
)

// apiResponse is a function's answer as API Gateway sends it on.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// parseResponse reads a function's output in its route's payload format.
// An error makes the answer a 502.
func parseResponse(rt *route, payload []byte) (*apiResponse, error) {
	payload = bytes.TrimSpace(payload)
	if !json.Valid(payload) {
		return nil, errors.New("not JSON")
	}
	if rt.payload == apispec.PayloadV2 {
		return parseV2(payload)
	}
	return parseV1(payload, rt.api.Kind == apispec.RESTAPI)
}

// parseV1 reads a payload format 1.0 answer: an object with statusCode,
// headers, multiValueHeaders, body and isBase64Encoded. A REST API refuses
// any other member. headers and multiValueHeaders merge into one list per
// header, a value both give appearing once.
func parseV1(payload []byte, strict bool) (*apiResponse, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(payload, &members); err != nil || members == nil {
		return nil, errors.New("not a JSON object")
	}
	if strict {
		var extra []string
		for k := range members {
			if !proxyV1ResponseKeys[k] {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			return nil, fmt.Errorf("unexpected members %s", strings.Join(extra, ", "))
		}
	}
	if _, ok := members["statusCode"]; !ok {
		return nil, errors.New("no statusCode")
	}
	var v events.APIGatewayProxyResponse
	if err := json.Unmarshal(payload, &v); err != nil {
		return nil, err
	}
	out := &apiResponse{status: v.StatusCode, header: http.Header{}}
	for _, k := range slices.Sorted(maps.Keys(v.Headers)) {
		out.header.Set(k, v.Headers[k])
	}
	for _, k := range slices.Sorted(maps.Keys(v.MultiValueHeaders)) {
		single := out.header.Values(k)
		out.header.Del(k)
		vals := v.MultiValueHeaders[k]
		if len(single) == 1 && !slices.Contains(vals, single[0]) {
			out.header.Add(k, single[0])
		}
		for _, val := range vals {
			out.header.Add(k, val)
		}
	}
	return out, out.setBody(v.Body, v.IsBase64Encoded)
}

// parseV2 reads a payload format 2.0 answer. An object with a statusCode is
// a structured answer (statusCode, headers, cookies, body,
// isBase64Encoded); any other JSON value is the simple form: 200, JSON, and
// the value as the body (a string's text, anything else as written).
func parseV2(payload []byte) (*apiResponse, error) {
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &members) != nil || members["statusCode"] == nil {
		out := &apiResponse{status: http.StatusOK, header: http.Header{}, body: payload}
		out.header.Set(edge.HeaderContentType, edge.ContentTypeJSON)
		var s string
		if json.Unmarshal(payload, &s) == nil {
			out.body = []byte(s)
		}
		return out, nil
	}
	var v events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &v); err != nil {
		return nil, err
	}
	out := &apiResponse{status: v.StatusCode, header: http.Header{}}
	for _, k := range slices.Sorted(maps.Keys(v.Headers)) {
		out.header.Set(k, v.Headers[k])
	}
	for _, c := range v.Cookies {
		out.header.Add(headerSetCookie, c)
	}
	return out, out.setBody(v.Body, v.IsBase64Encoded)
}

// setBody checks the status and sets the body, decoding it from base64 when
// the function says so.
func (out *apiResponse) setBody(body string, isBase64 bool) error {
	// An informational status cannot end an HTTP exchange.
	if out.status < 200 || out.status > 599 {
		return fmt.Errorf("statusCode %d is not a final HTTP status", out.status)
	}
	if !isBase64 {
		out.body = []byte(body)
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return fmt.Errorf("body is not base64: %w", err)
	}
	out.body = b
	return nil
}

// writeResponse sends the function's answer, with API Gateway's request id
// and, for an HTTP API with CORS, its CORS headers. A response with no
// Content-Type is application/json, as API Gateway's.
func (g *apiGateway) writeResponse(x *exchange, rt *route, in *apiRequest, out *apiResponse) {
	h := x.w.Header()
	for k, vs := range out.header {
		h[k] = vs
	}
	if rt.api.Kind == apispec.HTTPAPI && rt.api.CORS != nil {
		applyCORS(h, rt.api.CORS, x.r.Header.Get(headerOrigin))
	}
	if h.Get(edge.HeaderContentType) == "" {
		h.Set(edge.HeaderContentType, edge.ContentTypeJSON)
	}
	setRequestIDHeader(h, rt.api.Kind, x.requestID)
	if !bodyAllowed(out.status) {
		// HTTP sends no body with these: a body the function gave is dropped.
		h.Del(edge.HeaderContentLength)
		x.w.WriteHeader(out.status)
		return
	}
	h.Set(edge.HeaderContentLength, strconv.Itoa(len(out.body)))
	x.w.WriteHeader(out.status)
	x.w.Write(out.body) // an error here means the client went away
}

// bodyAllowed reports whether a response of this status may have a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}
