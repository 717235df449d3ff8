/** The voice activity detectors: one frozen registry, one resolver. */
import { InvalidOptionError } from '../../../src/core/errors/index.js';
import { SileroVad, type SileroOptions } from './silero.js';
import type { VoiceActivityDetector } from './types.js';
import { WebRtcVad } from './webrtc.js';

export type VadName = 'silero' | 'webrtc';
export const VAD_NAMES: readonly VadName[] = Object.freeze(['silero', 'webrtc'] as const);

const FACTORIES: Readonly<Record<VadName, (options: SileroOptions) => Promise<VoiceActivityDetector>>> = Object.freeze({
  silero: (options: SileroOptions) => SileroVad.create(options),
  webrtc: () => WebRtcVad.create(),
});

/**
 * Checks a VAD name, throwing the list of valid ones.
 *
 * @example
 * resolveVadName('silero'); // 'silero'
 */
export function resolveVadName(name: string): VadName {
  if (!(VAD_NAMES as readonly string[]).includes(name)) throw new InvalidOptionError('vad', name, `one of ${VAD_NAMES.join(', ')}`);
  return name as VadName;
}

/**
 * Creates a voice activity detector by name.
 *
 * @example
 * const vad = await createVad('webrtc');
 */
export async function createVad(name: VadName | string, options: SileroOptions = {}): Promise<VoiceActivityDetector> {
  return FACTORIES[resolveVadName(name)](options);
}

export { SileroVad, SILERO_MODEL, bundledSileroModel, type SileroOptions } from './silero.js';
export { WebRtcVad } from './webrtc.js';
export type { VoiceActivityDetector, DetectOptions } from './types.js';
