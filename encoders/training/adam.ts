import type { Param, TrainableHead } from './backprop.js';

/** AdamW hyper-parameters (decoupled weight decay, as in Loshchilov & Hutter). */
export interface AdamConfig {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

function adamStep(p: Param, t: number, cfg: AdamConfig, decay: boolean): void {
  const { lr, weightDecay, beta1, beta2, eps } = cfg;
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  const shrink = decay ? 1 - lr * weightDecay : 1;
  const { value, grad, m, v } = p;
  for (let i = 0; i < value.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    value[i] = value[i] * shrink - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
  }
}

/** One AdamW step of every layer of `head` from the gradients in it; biases are not decayed. */
export function stepHead(head: TrainableHead, cfg: AdamConfig): void {
  head.steps++;
  for (const l of head.layers) {
    adamStep(l.weight, head.steps, cfg, true);
    adamStep(l.bias, head.steps, cfg, false);
  }
}

/**
 * The learnable log logit scale with its own Adam moments (never decayed). CLIP clamps the scale at
 * 100; the floor of 1 keeps the softmax from going flat.
 */
export class LogitScale {
  value: number;
  readonly #max: number;
  #m = 0;
  #v = 0;
  #t = 0;

  constructor(temperature: number, maxLogitScale: number) {
    this.value = Math.log(1 / temperature);
    this.#max = Math.log(maxLogitScale);
  }

  step(grad: number, cfg: AdamConfig): void {
    this.#t++;
    this.#m = cfg.beta1 * this.#m + (1 - cfg.beta1) * grad;
    this.#v = cfg.beta2 * this.#v + (1 - cfg.beta2) * grad * grad;
    this.value -= (cfg.lr * (this.#m / (1 - cfg.beta1 ** this.#t))) / (Math.sqrt(this.#v / (1 - cfg.beta2 ** this.#t)) + cfg.eps);
    this.value = Math.min(this.#max, Math.max(0, this.value));
  }

  get temperature(): number {
    return Math.exp(-this.value);
  }
}
