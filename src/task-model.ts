/**
 * What a task records of the model that did its work, in words every layer shares: git/ writes
 * them in trailers and task records, model/ and config/ speak them. It imports nothing.
 */

/** Where the model runs: on this machine, or elsewhere (recorded in every commit's trailers). */
export type Locality = 'local' | 'remote';

/** The `think` of the config: on, off, or a level for models that take levels (gpt-oss). */
export type ThinkSetting = boolean | 'low' | 'medium' | 'high';
