/**
 * Keeping onnxruntime's native logger off the terminal. It writes there directly (the red
 * `[E:onnxruntime:...]` line of a missing CUDA library), its level is read once, when the first
 * session of the process is created, and importing transformers.js resets it to 'warning': so every
 * place that creates a session calls {@link quietOnnxRuntime} right before it. Failures still reach
 * the user, as exceptions that mmalign turns into one warning or error line.
 */
import * as ort from 'onnxruntime-node';

/** Session-level severity that goes with {@link quietOnnxRuntime}: fatal only (0 verbose … 4 fatal). */
export const ORT_LOG_SEVERITY = 4;

/**
 * Sets onnxruntime's process-wide log level to fatal; call it right before creating a session.
 *
 * @example
 * quietOnnxRuntime();
 * const session = await ort.InferenceSession.create(model, { logSeverityLevel: ORT_LOG_SEVERITY });
 */
export function quietOnnxRuntime(): void {
  ort.env.logLevel = 'fatal';
}
