/**
 * Okabe & Ito's palette ("Color Universal Design", 2008): eight colours
 * readers with any common colour-vision deficiency tell apart. Every colour
 * the explorer draws with comes from here; a change is also marked by a
 * thicker outline, never by colour alone.
 */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  black: '#000000',
} as const;

/** What marks a change in every view. */
export const CHANGED = OKABE_ITO.vermillion;
