/** Stage 1, probe: the video must be a video ffmpeg can read, with a duration. */
import { probeMedia, requireVideo, type MediaInfo, type VideoStreamInfo } from '../../core/ffmpeg/index.js';
import type { StageContext } from '../types.js';

export interface ProbeInput {
  /** Absolute path of the video. */
  video: string;
}

export interface ProbeOutput {
  info: MediaInfo & { video: VideoStreamInfo };
}

/**
 * Probes the video; a missing, unreadable, audio-only or still-image file fails here, before DIR is touched.
 *
 * @example
 * const { info } = await probeStage({ video: '/data/talk.mp4' }, ctx);
 */
export async function probeStage({ video }: ProbeInput, ctx: StageContext): Promise<ProbeOutput> {
  const info = requireVideo(await probeMedia(video, ctx.binaries));
  ctx.log(`video: ${info.duration.toFixed(3)} s, ${info.video.width}x${info.video.height} @ ${info.video.fps ?? '?'} fps, audio: ${info.audio ? info.audio.codec : 'none'}`);
  return { info };
}
