// STS calls AWS STS GetCallerIdentity with aws-sdk-go-v2, through the host
// by the one documented option, config.WithHTTPClient(hosthttp.Client()):
// it answers with the account the service returned.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/frescolabs/fresco/adapters/hosthttp"
	"github.com/frescolabs/fresco/adapters/lambda"
)

var client = func() *sts.Client {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(hosthttp.Client()))
	if err != nil {
		panic(err)
	}
	return sts.NewFromConfig(cfg)
}()

func handle(ctx context.Context, _ struct{}) (map[string]string, error) {
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, err
	}
	return map[string]string{"account": aws.ToString(out.Account), "arn": aws.ToString(out.Arn)}, nil
}

func main() { lambda.Start(handle) }
