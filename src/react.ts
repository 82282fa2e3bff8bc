/** p13n-tag/react: written on this branch (issue 16). */
export {};
