package emulator

import (
	"github.com/frescolabs/fresco/lambdaapi/apispec"
	"github.com/frescolabs/fresco/lambdaapi/funcurl"
)

// APIGatewayAPIs returns the APIs to serve: the template's APIs with the
// routes of the loaded functions' Api and HttpApi events. APIs without a
// route of a loaded function are left out.
func (e *Emulator) APIGatewayAPIs() []apispec.API {
	var out []apispec.API
	for _, a := range e.tmpl.APIs {
		api := apispec.API{
			Name:             a.LogicalID,
			Kind:             a.Type,
			Stage:            a.StageName,
			StageVariables:   a.StageVariables,
			BinaryMediaTypes: a.BinaryMediaTypes,
			CORS:             a.Cors,
		}
		for _, f := range e.tmpl.Functions {
			if _, loaded := e.loaded[f.Name]; !loaded {
				continue
			}
			for _, ev := range f.Events {
				if ev.API == a.LogicalID {
					api.Routes = append(api.Routes, apispec.Route{
						Key: ev.Route, Function: f.LogicalID, PayloadFormat: ev.PayloadFormat,
					})
				}
			}
		}
		if len(api.Routes) > 0 {
			out = append(out, api)
		}
	}
	return out
}

// FunctionURLs are the loaded functions' FunctionUrlConfig URLs and the
// uploaded functions' (CreateFunctionUrlConfig), served on the API port
// (lambdaapi/funcurl).
func (e *Emulator) FunctionURLs() []funcurl.URL {
	var out []funcurl.URL
	for _, f := range e.tmpl.Functions {
		if _, loaded := e.loaded[f.Name]; !loaded || f.URL == nil {
			continue
		}
		out = append(out, funcurl.URL{Function: f.Name, AuthType: f.URL.AuthType, InvokeMode: f.URL.InvokeMode, Cors: f.URL.Cors})
	}
	return append(out, e.managedURLs()...)
}

// Region is the region of the functions' ARNs.
func (e *Emulator) Region() string { return e.region }
