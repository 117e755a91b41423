import { InvalidArgumentError } from 'commander';

/** commander parsers that reject bad values with the flag's name and the value. */
export const parseNumber = (min: number, max = Infinity) => (v: string): number => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max) throw new InvalidArgumentError(`"${v}" is not a number in [${min}, ${max}]`);
  return x;
};
export const parseInteger = (min: number, max = Infinity) => (v: string): number => {
  const x = parseNumber(min, max)(v);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`"${v}" is not an integer`);
  return x;
};
export const parseIntList = (v: string): number[] => {
  const xs = v.split(',').map((s) => Number(s));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError(`"${v}" is not a comma-separated list of positive integers`);
  return xs;
};
export const parseChoice = (choices: string[]) => (v: string): string => {
  if (!choices.includes(v)) throw new InvalidArgumentError(`"${v}" is not one of ${choices.join(', ')}`);
  return v;
};
