import { deepFreeze } from '../../util/freeze.js';
import type { BoundRule } from '../bound-op.js';
import { identityAffine } from './affine.js';

/** Reshapes keep the values: Flatten, reshape, and detach (a gradient stop is the identity for bounds). */
const sameValues: BoundRule = ({ node, inShapes }) => identityAffine(inShapes[0], node.shape);

export const SHAPE_RULES = deepFreeze({ Flatten: sameValues, reshape: sameValues, detach: sameValues });
