package apigw

import "github.com/frescolabs/fresco/lambdaapi/internal/fakebackend"

// The tests' Backend is fakebackend's, under the names they use.
type (
	fakeBackend  = fakebackend.Backend
	fakeFunction = fakebackend.Function
	lookupCall   = fakebackend.LookupCall
)

const testARNPrefix = fakebackend.ARNPrefix

var newFakeBackend = fakebackend.New
