/**
 * The ONNX variants a model folder may hold, by transformers.js dtype name: one frozen map from dtype to
 * file suffix (transformers.js 4.3's DEFAULT_DTYPE_SUFFIX_MAPPING), and one resolver.
 */
import { InvalidOptionError } from '../src/core/errors/index.js';
import type { Dtype } from './types.js';

/** dtype → the suffix of its file in `onnx/`: `q8` loads `onnx/model_quantized.onnx`. */
export const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
});

/** Every dtype mmalign can load, fp32 (the default) first. */
export const DTYPES: readonly Dtype[] = Object.freeze(Object.keys(DTYPE_SUFFIX) as Dtype[]);

/**
 * Checks a dtype name and returns it typed; anything else throws the list of valid ones.
 *
 * @example
 * resolveDtype('q8'); // 'q8'
 * resolveDtype('int4'); // throws InvalidOptionError: ... Expected one of fp32, fp16, q8, ...
 */
export function resolveDtype(name: unknown, option = 'dtype'): Dtype {
  if (typeof name === 'string' && Object.hasOwn(DTYPE_SUFFIX, name)) return name as Dtype;
  throw new InvalidOptionError(option, name, `one of ${DTYPES.join(', ')}`);
}

/**
 * The file of a dtype inside a model folder, as transformers.js lays it out.
 *
 * @example
 * onnxFileOf('q8'); // 'onnx/model_quantized.onnx'
 */
export function onnxFileOf(dtype: Dtype): string {
  return `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`;
}
