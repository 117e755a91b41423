import { ConfigError } from '../../util/errors.js';
import type { Module } from '../../nn/module.js';
import type { BoundRule } from '../bound-op.js';
import { LINEAR_RULES } from './linear.js';
import { CONV_RULES } from './conv.js';
import { POOL_RULES } from './pool.js';
import { RELU_RULES } from './relu.js';
import { SHAPE_RULES } from './shape.js';
import { ELEMENTWISE_RULES } from './elementwise.js';

/**
 * Bound rules by op: primitives by their name (add, matmul, relu, …), modules by their type
 * (Linear, Conv2d, a user's LeakyReLU). A module whose type has a rule is traced as one op.
 */
export class BoundRules {
  private readonly rules = new Map<string, BoundRule>(
    Object.entries({
      ...LINEAR_RULES,
      ...CONV_RULES,
      ...POOL_RULES,
      ...RELU_RULES,
      ...SHAPE_RULES,
      ...ELEMENTWISE_RULES,
    }),
  );

  /** Adds the rule of an op or module type (a module of that type is then one op in traces). */
  register(op: string, rule: BoundRule): void {
    if (this.rules.has(op)) throw new ConfigError(`certify: a bound rule for "${op}" is already registered`);
    this.rules.set(op, rule);
  }

  get(op: string): BoundRule | undefined {
    return this.rules.get(op);
  }

  /** Modules traced as one op: those whose type has a rule. */
  atomic = (m: Module): boolean => this.rules.has(m.type);

  /** The ops with rules, for messages. */
  names(): string[] {
    return [...this.rules.keys()];
  }
}

const shared = new BoundRules();

/** The rules certification uses unless given others; `registerBoundRule` adds to them. */
export const defaultBoundRules = (): BoundRules => shared;

/** Adds a bound rule for an op or a module type to the default rules (a user's layer brings its own). */
export function registerBoundRule(op: string, rule: BoundRule): void {
  shared.register(op, rule);
}
