/** p13n-tag/vue: written on this branch (issue 16). */
export {};
