/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * validate_chain.h - validate-logs' digest chain: phase 1, aws-cli's
 * traversal, then the checks of each digest and of the chain's ends that
 * aws-cli does not make.
 */
#ifndef HOSTRAIL_SIGN_VALIDATE_CHAIN_H
#define HOSTRAIL_SIGN_VALIDATE_CHAIN_H

#include "sign/validate_ctx.h"

int vl_traverse(struct ctx *c);
void vl_check_algorithms(struct ctx *c, struct vdigest *d);
void vl_check_previous_fields(struct ctx *c, struct vdigest *d);
void vl_check_key_window(struct ctx *c, struct vdigest *d);
void vl_check_link(struct ctx *c, struct vdigest *d);
unsigned vl_infer_period(struct ctx *c);
void vl_check_chain_ends(struct ctx *c);
void vl_check_unreached(struct ctx *c);
void vl_read_state(struct ctx *c);

#endif
