/** Frame sampling for the pipeline: plans, the one-pass sampler, JPEG splitting, names, the reuse manifest. */
export { SAMPLING_MODES, validatePlan, checkJpegQuality, type SamplingMode, type SamplingPlan } from './plan.js';
export { sampleFrames, sampleCheckedFrames, type SampledFrame, type SampleFramesOptions } from './sample.js';
export { JpegStreamSplitter } from './jpeg-stream.js';
export { frameFileName } from './names.js';
export { selectExpression } from './select.js';
export { FRAMES_MANIFEST, fingerprint, samplingKey, loadReusableFrames, writeFramesManifest, type VideoFingerprint } from './manifest.js';
