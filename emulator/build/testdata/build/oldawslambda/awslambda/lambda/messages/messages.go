// Package messages stands in for aws-lambda-go's.
package messages

type InvokeResponse_Error struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}
