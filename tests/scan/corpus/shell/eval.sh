#!/usr/bin/env bash
# Nightly eval against the models we still call.
set -euo pipefail

MODEL="${MODEL:-gpt-4-0613}"
export ANTHROPIC_MODEL=claude-3-haiku-20240307
BEDROCK_MODEL='anthropic.claude-instant-v1'

curl https://api.openai.com/v1/chat/completions \
  -H "Authorization: Bearer $OPENAI_API_KEY" \
  -d '{"model": "gpt-3.5-turbo-1106", "messages": [{"role": "user", "content": "ping"}]}'

aws bedrock-runtime converse --model-id "$BEDROCK_MODEL" --messages file://msg.json
llm -m gemini-1.5-flash-8b "say hi"
python -m evals.run --model=gpt-4-turbo-2024-04-09 --out results/gpt-4-turbo-2024-04-09.csv
echo "done: gpt4 eval at $(date +%F)"
