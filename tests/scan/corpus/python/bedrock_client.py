import json

import boto3

bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"
HAIKU_US = "us.anthropic.claude-3-haiku-20240307-v1:0"
SONNET_EU = "eu.anthropic.claude-3-5-sonnet-20240620-v1:0"
SONNET_APAC = "apac.anthropic.claude-3-5-sonnet-20241022-v2:0"
CLAUDE_V2_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1"
PROFILE_ARN = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0"
LLAMA = "meta.llama3-70b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"
NOVA = "amazon.nova-pro-v1:0"
COHERE = "cohere.command-r-plus-v1:0"
MISTRAL_BEDROCK = "mistral.mistral-large-2402-v1:0"
JURASSIC = "ai21.j2-ultra-v1"

# region names and versions that look like ids but are not
REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-2"]
SDK_VERSION = "boto3==1.34.162"


def invoke(prompt: str, model_id: str = SONNET) -> str:
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 256,
                       "messages": [{"role": "user", "content": prompt}]})
    response = bedrock.invoke_model(modelId=model_id, body=body)
    return json.loads(response["body"].read())["content"][0]["text"]


def converse(prompt: str) -> str:
    response = bedrock.converse(
        modelId="anthropic.claude-3-5-haiku-20241022-v1:0",
        messages=[{"role": "user", "content": [{"text": prompt}]}],
    )
    return response["output"]["message"]["content"][0]["text"]
