/**
 * Architecture facts of common open models, from each model's Hugging Face `config.json`
 * (num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads,
 * max_position_embeddings), read through public transcriptions that cite the config.
 *
 * Parameter counts are computed from the config's shapes (embeddings, attention, MLP, norms,
 * untied LM head) and agree with the model cards to within 1 %.
 *
 * Known approximation: the capacity model takes the head size as hidden_size / attention heads.
 * Three models here set an explicit `head_dim` that differs (noted per row), so their KV cache is
 * over- or under-estimated by the ratio given.
 */
import type { ModelArchitecture } from "../schema";
import type { ModelCatalogEntry } from "../types";

const LITGPT = "github:Lightning-AI/litgpt litgpt/config.py @26857050";
const LITGPT_AS_OF = "2026-06-29";
const PARAMS = "parameters computed from the config's shapes";

type Row = [id: string, architecture: ModelArchitecture, source: string, asOf: string];

const arch = (
  parametersBillions: number,
  layers: number,
  hiddenSize: number,
  attentionHeads: number,
  kvHeads: number,
  maxContextTokens: number,
  activeParametersBillions?: number,
): ModelArchitecture => ({
  parametersBillions,
  ...(activeParametersBillions !== undefined ? { activeParametersBillions } : {}),
  layers,
  hiddenSize,
  attentionHeads,
  kvHeads,
  maxContextTokens,
});

const qwenCard = (size: string) =>
  `Instruct config.json sets max_position_embeddings 32768 (131072 only with YaRN rope_scaling), per the Qwen2.5-${size}-Instruct model card ` +
  `(github:ZHUI/paddlenlp_model_readme Qwen/Qwen2.5-${size}-Instruct/index.md, a copy of the Hugging Face README)`;

const rows: readonly Row[] = [
  [
    "meta-llama/Llama-3.1-8B-Instruct",
    arch(8.03, 32, 4096, 32, 8, 131072),
    `huggingface.co/meta-llama/Meta-Llama-3.1-8B/blob/main/config.json as transcribed in ${LITGPT} ('Llama-3.1-8B{}') and github:AI-Hypercomputer/maxtext src/MaxText/utils/ckpt_conversion/utils/hf_model_configs.py @02b47fd8 (llama31_8b_config); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "meta-llama/Llama-3.1-70B-Instruct",
    arch(70.55, 80, 8192, 64, 8, 131072),
    `huggingface.co/meta-llama/Meta-Llama-3.1-70B/blob/main/config.json as transcribed in ${LITGPT} ('Llama-3.1-70B{}') and github:AI-Hypercomputer/maxtext .../hf_model_configs.py @02b47fd8 (llama31_70b_config); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "meta-llama/Llama-3.3-70B-Instruct",
    arch(70.55, 80, 8192, 64, 8, 131072),
    `huggingface.co/meta-llama/Llama-3.3-70B-Instruct/blob/main/config.json as transcribed in ${LITGPT} ('Llama-3.3-70B-Instruct'); github:oumi-ai/oumi configs/recipes/llama3_3/README.md; ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "meta-llama/Llama-3.2-1B-Instruct",
    arch(1.24, 16, 2048, 32, 8, 131072),
    `huggingface.co/meta-llama/Llama-3.2-1B-Instruct config.json @4e20de36 as copied in github:kevinstephano/thunder_model_blocks hf_llama/llama_config.py; ${LITGPT} ('Llama-3.2-1B{}'); tied embeddings; ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "meta-llama/Llama-3.2-3B-Instruct",
    arch(3.21, 28, 3072, 24, 8, 131072),
    `huggingface.co/meta-llama/Llama-3.2-3B/blob/main/config.json as transcribed in ${LITGPT} ('Llama-3.2-3B{}') and github:citsjtu2020/LLM-Prof sglang/Model_Config.md; tied embeddings; ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "Qwen/Qwen2.5-7B-Instruct",
    arch(7.62, 28, 3584, 28, 4, 32768),
    `shapes: huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json as transcribed in ${LITGPT} ('Qwen2.5-7B{}'); ${qwenCard("7B")} (7.61B); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "Qwen/Qwen2.5-14B-Instruct",
    arch(14.77, 48, 5120, 40, 8, 32768),
    `shapes: huggingface.co/Qwen/Qwen2.5-14B/blob/main/config.json as transcribed in ${LITGPT} ('Qwen2.5-14B{}'); ${qwenCard("14B")} (14.7B); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "Qwen/Qwen2.5-32B-Instruct",
    arch(32.76, 64, 5120, 40, 8, 32768),
    `shapes: huggingface.co/Qwen/Qwen2.5-32B/blob/main/config.json as transcribed in ${LITGPT} ('Qwen2.5-32B{}'); ${qwenCard("32B")}; ${PARAMS} (the card rounds to 32.5B)`,
    LITGPT_AS_OF,
  ],
  [
    "Qwen/Qwen2.5-72B-Instruct",
    arch(72.71, 80, 8192, 64, 8, 32768),
    `shapes: huggingface.co/Qwen/Qwen2.5-72B/blob/main/config.json as transcribed in ${LITGPT} ('Qwen2.5-72B{}'); ${qwenCard("72B")} (72.7B); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "mistralai/Mistral-7B-Instruct-v0.3",
    arch(7.25, 32, 4096, 32, 8, 32768),
    `huggingface.co/mistralai/Mistral-7B-Instruct-v0.3/blob/main/config.json as transcribed in ${LITGPT} ('Mistral-7B-Instruct-v0.3': 32 layers, 8 KV groups, block 32768, n_embd default 4096, 32 heads); ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "mistralai/Mistral-Small-24B-Instruct-2501",
    { ...arch(23.57, 40, 5120, 32, 8, 32768), headDim: 128 },
    "huggingface.co/mistralai/Mistral-Small-24B-Instruct-2501/blob/main/config.json as quoted by public research notes (repository not identified by the code index) " +
      "(40 layers, hidden 5120, 32 heads / 8 KV heads, head_dim 128, 32k context; the Mistral Small 3.x text stack counts 23,572,403,200 parameters). " +
      `Secondary sources only; head_dim 128 (not 5120/32) is given explicitly; ${PARAMS}; asOf = the checkpoint's release month`,
    "2025-01",
  ],
  [
    "google/gemma-2-9b-it",
    { ...arch(9.24, 42, 3584, 16, 8, 8192), headDim: 256 },
    `huggingface.co/google/gemma-2-9b/blob/main/config.json as transcribed in ${LITGPT} ('Gemma-2-9b': block 8192, head_size 256) and github:AI-Hypercomputer/maxtext .../hf_model_configs.py @02b47fd8 (gemma2_9b_config); ` +
      `head_dim 256 (not 3584/16 = 224) is given explicitly; every other layer is a 4096-token sliding window, which the model over-counts; ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "google/gemma-2-27b-it",
    { ...arch(27.23, 46, 4608, 32, 16, 8192), headDim: 128 },
    `huggingface.co/google/gemma-2-27b/blob/main/config.json as transcribed in ${LITGPT} ('Gemma-2-27b': block 8192, head_size 128) and github:AI-Hypercomputer/maxtext .../hf_model_configs.py @02b47fd8 (gemma2_27b_config); ` +
      `head_dim 128 (not 4608/32 = 144) is given explicitly; ${PARAMS}`,
    LITGPT_AS_OF,
  ],
  [
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    arch(46.7, 32, 4096, 32, 8, 32768, 12.88),
    "huggingface.co/mistralai/Mixtral-8x7B-Instruct-v0.1/blob/main/config.json as copied in github:AI-Hypercomputer/maxtext .../hf_model_configs.py @02b47fd8 (mixtral_8x7b_dict: 8 experts, 2 per token); " +
      `${LITGPT} ('Mixtral-8x7B-{}v0.1'); ${PARAMS}: 46.7B total, 12.9B active (matches Mistral's 46.7B / 12.9B, github:Azure/azureml-assets mistralai-Mixtral-8x7B-Instruct-v01/description.md)`,
    LITGPT_AS_OF,
  ],
];

/** Every model the catalog knows, keyed by Hugging Face id, frozen. */
export const MODELS: readonly ModelCatalogEntry[] = Object.freeze(
  rows.map(([id, architecture, source, asOf]) => Object.freeze({ id, architecture: Object.freeze(architecture), source, asOf })),
);
