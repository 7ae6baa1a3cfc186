// Files is an unchanged aws-lambda-go handler that uses its files as on
// Lambda: it reads greeting.txt, shipped beside it in its CodeUri, from
// LAMBDA_TASK_ROOT (/var/task, read-only), and keeps a scratch file in
// /tmp, which is empty at the start of every invocation.
// {"note":"x"} gives {"greeting":"Hello from a file shipped with the code",
// "tmp_before":[],"note":"x"}.
package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type Request struct {
	Note string `json:"note"`
}

type Response struct {
	Greeting  string   `json:"greeting"`
	TmpBefore []string `json:"tmp_before"`
	Note      string   `json:"note"`
}

func handle(ctx context.Context, req Request) (Response, error) {
	greeting, err := os.ReadFile(filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), "greeting.txt"))
	if err != nil {
		return Response{}, err
	}
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return Response{}, err
	}
	before := []string{}
	for _, e := range entries {
		before = append(before, e.Name())
	}
	scratch := filepath.Join(os.TempDir(), "note.txt")
	if err := os.WriteFile(scratch, []byte(req.Note), 0o600); err != nil {
		return Response{}, err
	}
	note, err := os.ReadFile(scratch)
	if err != nil {
		return Response{}, err
	}
	return Response{Greeting: strings.TrimSpace(string(greeting)), TmpBefore: before, Note: string(note)}, nil
}

func main() {
	lambda.Start(handle)
}
