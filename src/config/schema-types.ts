import { type ObjectOptions, type SchemaOptions, type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../core/duration.js';

/*
 * Building blocks of the config schema. Each gives plain JSON Schema for Ajv and a static type for
 * the compiler. A property with a `default` is written without Type.Optional: Ajv (useDefaults)
 * fills it before `required` is checked, so the validated document always has it, and its type
 * says so.
 */

/** "500ms", "5s", "5m", "1h", "1d" or a number of milliseconds. */
export const duration = (options: SchemaOptions = {}) => Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Integer({ minimum: 0 })], options);

/** A duration that must not be zero (a bucket, an interval). */
export const positiveDuration = (options: SchemaOptions = {}) =>
  Type.Union([Type.String({ pattern: '^0*[1-9][0-9]*(ms|s|m|h|d)$' }), Type.Integer({ minimum: 1 })], options);

/** A count or size of at least 1, with its default. */
export const positive = (defaultValue: number, maximum?: number) => Type.Integer({ minimum: 1, ...(maximum !== undefined && { maximum }), default: defaultValue });

/**
 * One of a few values, as JSON Schema `enum`: Type.Union of literals would validate the same but
 * report "must match a schema in anyOf" instead of "must be equal to one of the allowed values".
 */
export const enumOf = <const V extends readonly [string, ...string[]]>(values: V, options: SchemaOptions = {}) =>
  Type.Unsafe<V[number]>({ ...options, enum: [...values] });

/**
 * An object whose keys are free and whose values all follow `values`, as `additionalProperties`:
 * Type.Record would write `patternProperties: {"^(.*)$": …}`, which lets a key with a line break through.
 */
export const recordOf = <T extends TSchema>(values: T, options: SchemaOptions = {}) =>
  Type.Unsafe<Record<string, Static<T>>>({ ...options, type: 'object', additionalProperties: values });

/** An object whose unknown keys are mistakes and which is `{}` when absent, so its own defaults apply. */
export const objectWithDefaults = <P extends TProperties>(properties: P, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, default: {}, ...options });

/** An object whose unknown keys are mistakes and which stays absent unless written. */
export const strictObject = <P extends TProperties>(properties: P, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });
