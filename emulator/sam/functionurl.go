package sam

import (
	"encoding/json"
	"fmt"

	"github.com/frescolabs/fresco/lambdaapi/apispec"
)

// FunctionURL is a function's FunctionUrlConfig.
type FunctionURL struct {
	// AuthType is NONE or AWS_IAM (accepted, not enforced: see
	// RATIONALE.md, "Function URLs").
	AuthType string
	// InvokeMode is BUFFERED (the default) or RESPONSE_STREAM.
	InvokeMode string
	// Cors is the URL's CORS configuration; nil for none.
	Cors *apispec.CORS
}

// functionURL reads FunctionUrlConfig from a function's resolved
// properties; nil when there is none.
func functionURL(props json.RawMessage) (*FunctionURL, error) {
	var p struct {
		FunctionUrlConfig *struct {
			AuthType   string
			InvokeMode string
			Cors       *struct {
				AllowCredentials bool
				AllowHeaders     []string
				AllowMethods     []string
				AllowOrigins     []string
				ExposeHeaders    []string
				MaxAge           *int
			}
		}
	}
	if len(props) == 0 || json.Unmarshal(props, &p) != nil || p.FunctionUrlConfig == nil {
		return nil, nil
	}
	c := p.FunctionUrlConfig
	u := &FunctionURL{AuthType: c.AuthType, InvokeMode: c.InvokeMode}
	switch u.AuthType {
	case "NONE", "AWS_IAM":
	default:
		return nil, fmt.Errorf("FunctionUrlConfig AuthType %q is not NONE or AWS_IAM", u.AuthType)
	}
	switch u.InvokeMode {
	case "":
		u.InvokeMode = "BUFFERED"
	case "BUFFERED", "RESPONSE_STREAM":
	default:
		return nil, fmt.Errorf("FunctionUrlConfig InvokeMode %q is not BUFFERED or RESPONSE_STREAM", u.InvokeMode)
	}
	if k := c.Cors; k != nil {
		u.Cors = &apispec.CORS{AllowOrigins: k.AllowOrigins, AllowMethods: k.AllowMethods, AllowHeaders: k.AllowHeaders,
			ExposeHeaders: k.ExposeHeaders, MaxAge: k.MaxAge, AllowCredentials: k.AllowCredentials}
	}
	return u, nil
}
