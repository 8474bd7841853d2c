/**
 * Architecture facts of common open models, from `data/models.json`: each model's Hugging Face
 * `config.json` (num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads,
 * max_position_embeddings, head_dim where explicit, vocab_size, tie_word_embeddings), read
 * through public transcriptions that cite the config. Parameter counts are computed from the
 * config's shapes and agree with the model cards to within 1 %.
 */
import { z } from "zod";
import { modelArchitectureSchema } from "../schema";
import type { ModelCatalogEntry } from "../types";
import data from "./data/models.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

const modelRow = z.strictObject({ id: z.string().min(1), architecture: modelArchitectureSchema, source: sourceSchema, asOf: asOfSchema });

export const modelDataSchema = z.strictObject({ description: z.string(), rows: z.array(modelRow).min(1) });

/** Every model the catalog knows, keyed by Hugging Face id, frozen. */
export const MODELS: readonly ModelCatalogEntry[] = deepFreeze(parseDataFile("policies/economics/catalog/data/models.json", data, modelDataSchema).rows);
