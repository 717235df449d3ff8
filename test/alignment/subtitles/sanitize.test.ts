import { describe, expect, it } from 'vitest';
import { sanitizeCueText } from 'mmalign';
import { read } from './fixture.js';

describe('the cue text sanitiser', () => {
  it('removes <script> and <style> elements with their content', () => {
    expect(sanitizeCueText('a<script>alert(1)</script>b<style>p{}</style>c').text).toBe('abc');
  });

  it('removes <img onerror>, <iframe> and <a href=javascript:> tags, keeping the link text', () => {
    expect(sanitizeCueText('<img src=x onerror=alert(1)>x <iframe src="e"></iframe><a href="javascript:alert(1)">y</a>').text).toBe('x y');
  });

  it('removes terminal escape sequences whole, parameters included', () => {
    expect(sanitizeCueText('\u001b]0;PWNED\u0007\u001b[2Jclean\u001b[31m').text).toBe('clean');
  });

  it('removes C0 controls except line feed and tab, DEL and C1 controls', () => {
    expect(sanitizeCueText('a\u0000b\u0008c\u007fd\u0085e\tf\ng').text).toBe('abcde\tf\ng');
  });

  it('decodes entities once, so an escaped tag stays text', () => {
    expect(sanitizeCueText('&lt;b&gt;bold&lt;/b&gt; &amp;amp;').text).toBe('<b>bold</b> &amp;');
  });

  it('removes an escape sequence written as a character reference', () => {
    expect(sanitizeCueText('&#x1b;[2Jafter').text).toBe('after');
  });

  it('reads WebVTT markup by the spec and returns the voice as the speaker', () => {
    expect(sanitizeCueText('<v Ann>Hi <c.x>there</c>', 'webvtt')).toEqual({ text: 'Hi there', speaker: 'Ann' });
  });

  it('leaves already decoded text undecoded in text mode', () => {
    expect(sanitizeCueText('Tom &amp; <i>Jerry</i>', 'text').text).toBe('Tom &amp; Jerry');
  });

  it('sanitises every cue of a hostile SRT file into plain text', async () => {
    const doc = await read('hostile.srt');
    expect(doc.cues.map((c) => c.text)).toEqual(['Hello there', 'click me', 'Title bar <b>literal</b>']);
  });
});
