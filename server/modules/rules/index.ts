export * from './rule-conditions';
export { evaluateRules, resolveActions, sortRules } from './rule-engine';
export * from './sieve';
