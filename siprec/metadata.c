/* metadata.c - the recording metadata model (RFC 7865) and its parser.
 *
 * One model per recording session, built from every metadata document the
 * SRC sends (INVITE, re-INVITE, UPDATE): a <datamode>complete</datamode>
 * snapshot replaces it, a partial update is merged into it by id.  The
 * dialects real SRCs send are read the same way (../shared/reference/
 * siprec.md): element names are matched on their local name,
 * case-insensitively, in any namespace (RFC 7865's
 * urn:ietf:params:xml:ns:recording:1, the drafts' namespace without ":1",
 * tns: prefixes, BroadWorks' <recording_metadata>); ids come from
 * participant_id / stream_id / session_id / group_id or the drafts' id=
 * and session= attributes; a draft's <send>/<recv> inside <participant>
 * is the same association as RFC 7865's <participantstreamassoc>.  The
 * recorded calls' Call-IDs come from <sipSessionID> (up to its first ';'),
 * Sonus/Ribbon's callData <callid> and Acme's <apkt:header label="Call-ID">.
 * Elements the model has no place for (extensiondata, callData, vendor
 * namespaces) are kept verbatim, serialised, up to SRS_MD_MAX_EXTENSIONS.
 *
 * Hostile input (an SRC is a network peer): libxml2 with XML_PARSE_NONET
 * and without XML_PARSE_NOENT (entities are never substituted), any
 * <!DOCTYPE or <!ENTITY refused before parsing and any DTD refused after,
 * documents larger than max_bytes refused unread, and the tree walked
 * without recursion with a depth and an element cap.  A refused document
 * leaves the model as it was.
 */
#include "siprec_internal.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MD_MAX_TEXT 512 /* bytes kept of one id, AOR, name or label */

void srs_metadata_init(srs_metadata_t *md)
{
    memset(md, 0, sizeof *md);
}

static void participant_free(srs_md_participant_t *p)
{
    free(p->id);
    free(p->aor);
    free(p->name);
    free(p->role);
    for (unsigned i = 0; i < p->n_send; i++)
        free(p->send[i]);
    for (unsigned i = 0; i < p->n_recv; i++)
        free(p->recv[i]);
    memset(p, 0, sizeof *p);
}

/* Everything but the counters that outlive a snapshot (updates, last_xml). */
static void model_clear(srs_metadata_t *md)
{
    for (uint32_t i = 0; i < md->n_participants; i++)
        participant_free(&md->participants[i]);
    for (uint32_t i = 0; i < md->n_streams; i++) {
        free(md->streams[i].id);
        free(md->streams[i].label);
        free(md->streams[i].session);
    }
    for (uint32_t i = 0; i < md->n_sessions; i++)
        free(md->sessions[i]);
    for (uint32_t i = 0; i < md->n_groups; i++)
        free(md->groups[i]);
    for (uint32_t i = 0; i < md->n_call_ids; i++)
        free(md->call_ids[i]);
    free(md->extensions);
    md->n_participants = md->n_streams = md->n_sessions = md->n_groups = md->n_call_ids = 0;
    md->extensions = NULL;
    md->extensions_len = 0;
}

void srs_metadata_free(srs_metadata_t *md)
{
    model_clear(md);
    free(md->last_xml);
    memset(md, 0, sizeof *md);
}

/* ------------------------------ helpers --------------------------------- */

static bool is_el(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* A trimmed copy of at most MD_MAX_TEXT bytes; NULL when empty. */
static char *dup_trim(const char *s)
{
    if (!s) return NULL;
    sv_t v = sv_trim(sv_from_cstr(s));
    if (v.len == 0) return NULL;
    if (v.len > MD_MAX_TEXT) v.len = MD_MAX_TEXT;
    char *d = malloc(v.len + 1);
    if (!d) return NULL;
    memcpy(d, v.p, v.len);
    d[v.len] = '\0';
    return d;
}

/* An attribute by one of two names (case-insensitive), trimmed; NULL when absent. */
static char *attr2(const xmlNode *n, const char *a, const char *b)
{
    for (const xmlAttr *at = n->properties; at; at = at->next) {
        if (!at->name) continue;
        if (strcasecmp((const char *)at->name, a) == 0 ||
            (b && strcasecmp((const char *)at->name, b) == 0)) {
            xmlChar *v = xmlNodeGetContent((const xmlNode *)at);
            char *d = dup_trim((const char *)v);
            xmlFree(v);
            return d;
        }
    }
    return NULL;
}

static char *text_of(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *d = dup_trim((const char *)v);
    xmlFree(v);
    return d;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (is_el(c, name)) return c;
    return NULL;
}

static void set_str(char **dst, char *v)
{
    if (!v) return;
    free(*dst);
    *dst = v;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The participant with id (created when absent and room remains). */
static srs_md_participant_t *participant_of(srs_metadata_t *md, char *id)
{
    for (uint32_t i = 0; i < md->n_participants; i++)
        if (str_eq(md->participants[i].id, id)) {
            free(id);
            return &md->participants[i];
        }
    if (md->n_participants >= SRS_MD_MAX_PARTICIPANTS) {
        md->truncated++;
        free(id);
        return NULL;
    }
    srs_md_participant_t *p = &md->participants[md->n_participants++];
    memset(p, 0, sizeof *p);
    p->id = id;
    return p;
}

static srs_md_stream_t *stream_of(srs_metadata_t *md, char *id)
{
    for (uint32_t i = 0; i < md->n_streams; i++)
        if (str_eq(md->streams[i].id, id)) {
            free(id);
            return &md->streams[i];
        }
    if (md->n_streams >= SRS_MD_MAX_STREAMS) {
        md->truncated++;
        free(id);
        return NULL;
    }
    srs_md_stream_t *s = &md->streams[md->n_streams++];
    memset(s, 0, sizeof *s);
    s->id = id;
    return s;
}

/* Adds v to a bounded set of strings (takes v). */
static void set_add(char **arr, uint32_t *n, uint32_t cap, char *v, uint32_t *truncated)
{
    if (!v) return;
    for (uint32_t i = 0; i < *n; i++)
        if (strcmp(arr[i], v) == 0) {
            free(v);
            return;
        }
    if (*n >= cap) {
        (*truncated)++;
        free(v);
        return;
    }
    arr[(*n)++] = v;
}

static void assoc_add(char **arr, uint8_t *n, char *v, uint32_t *truncated)
{
    uint32_t n32 = *n;
    set_add(arr, &n32, SRS_MD_MAX_ASSOC, v, truncated);
    *n = (uint8_t)n32;
}

static void call_id_add(srs_metadata_t *md, char *v)
{
    if (!v) return;
    char *semi = strchr(v, ';'); /* sipSessionID: "local-uuid;remote=..." */
    if (semi) *semi = '\0';
    if (!v[0]) {
        free(v);
        return;
    }
    set_add(md->call_ids, &md->n_call_ids, SRS_MD_MAX_CALL_IDS, v, &md->truncated);
}

/* Appends n, serialised, to the extensions (bounded). */
static void keep_extension(srs_metadata_t *md, xmlDoc *doc, xmlNode *n)
{
    xmlBufferPtr b = xmlBufferCreate();
    if (!b) return;
    if (xmlNodeDump(b, doc, n, 0, 0) > 0) {
        size_t len = (size_t)xmlBufferLength(b);
        if (md->extensions_len + len > SRS_MD_MAX_EXTENSIONS) {
            md->truncated++;
        } else {
            char *e = realloc(md->extensions, md->extensions_len + len + 1);
            if (e) {
                memcpy(e + md->extensions_len, xmlBufferContent(b), len);
                md->extensions_len += len;
                e[md->extensions_len] = '\0';
                md->extensions = e;
            }
        }
    }
    xmlBufferFree(b);
}

/* Call-IDs inside an extension: <callid> (callData) and
 * <header label="Call-ID"><value> (Acme). */
static void scan_extension_call_ids(srs_metadata_t *md, const xmlNode *n, int depth)
{
    if (depth > SRS_MD_MAX_DEPTH) return;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (is_el(c, "callid")) {
            call_id_add(md, text_of(c));
        } else if (is_el(c, "header")) {
            char *label = attr2(c, "label", NULL);
            if (label && strcasecmp(label, "Call-ID") == 0) {
                const xmlNode *v = child(c, "value");
                call_id_add(md, v ? text_of(v) : text_of(c));
            }
            free(label);
        } else {
            scan_extension_call_ids(md, c, depth + 1);
        }
    }
}

/* apkt:callingParty true/false inside a participant's extensiondata. */
static char *acme_role(const xmlNode *ext)
{
    for (const xmlNode *c = ext->children; c; c = c->next) {
        if (!is_el(c, "callingParty")) continue;
        char *v = text_of(c);
        char *role = NULL;
        if (v && strcasecmp(v, "true") == 0) role = dup_trim("calling");
        if (v && strcasecmp(v, "false") == 0) role = dup_trim("called");
        free(v);
        return role;
    }
    return NULL;
}

/* An element of a vendor namespace (not recording, not siprec). */
static bool foreign(const xmlNode *n)
{
    const char *href = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
    return href && !strstr(href, "recording") && !strstr(href, "siprec");
}

/* ------------------------------ elements -------------------------------- */

static void on_participant(srs_metadata_t *md, xmlDoc *doc, xmlNode *n)
{
    char *id = attr2(n, "participant_id", "id");
    if (!id) {
        md->truncated++;
        return;
    }
    srs_md_participant_t *p = participant_of(md, id);
    if (!p) return;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (is_el(c, "nameID")) {
            set_str(&p->aor, attr2(c, "aor", NULL));
            const xmlNode *nm = child(c, "name");
            if (nm) set_str(&p->name, text_of(nm));
        } else if (is_el(c, "send")) {
            assoc_add(p->send, &p->n_send, text_of(c), &md->truncated);
        } else if (is_el(c, "recv")) {
            assoc_add(p->recv, &p->n_recv, text_of(c), &md->truncated);
        } else if (is_el(c, "role")) {
            set_str(&p->role, text_of(c));
        } else if (is_el(c, "extensiondata")) {
            if (!p->role) p->role = acme_role(c);
            scan_extension_call_ids(md, c, 0);
            keep_extension(md, doc, c);
        } else if (!is_el(c, "associate-time") && !is_el(c, "disassociate-time")) {
            keep_extension(md, doc, c);
        }
    }
}

static void on_stream(srs_metadata_t *md, xmlNode *n)
{
    char *id = attr2(n, "stream_id", "id");
    if (!id) {
        md->truncated++;
        return;
    }
    srs_md_stream_t *s = stream_of(md, id);
    if (!s) return;
    set_str(&s->session, attr2(n, "session_id", "session"));
    const xmlNode *l = child(n, "label");
    if (l) set_str(&s->label, text_of(l));
}

static void on_session(srs_metadata_t *md, xmlDoc *doc, xmlNode *n)
{
    set_add(md->sessions, &md->n_sessions, SRS_MD_MAX_SESSIONS, attr2(n, "session_id", "id"),
            &md->truncated);
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (is_el(c, "sipSessionID")) {
            call_id_add(md, text_of(c));
        } else if (is_el(c, "extensiondata") || foreign(c)) {
            scan_extension_call_ids(md, c, 0);
            keep_extension(md, doc, c);
        }
    }
}

static void on_group(srs_metadata_t *md, xmlDoc *doc, xmlNode *n)
{
    set_add(md->groups, &md->n_groups, SRS_MD_MAX_GROUPS, attr2(n, "group_id", "id"),
            &md->truncated);
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || is_el(c, "associate-time") ||
            is_el(c, "disassociate-time"))
            continue;
        scan_extension_call_ids(md, c, 0);
        if (is_el(c, "callid")) call_id_add(md, text_of(c));
        keep_extension(md, doc, c);
    }
}

static void on_stream_assoc(srs_metadata_t *md, xmlNode *n)
{
    char *id = attr2(n, "participant_id", "id");
    if (!id) {
        md->truncated++;
        return;
    }
    srs_md_participant_t *p = participant_of(md, id);
    if (!p) return;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (is_el(c, "send")) assoc_add(p->send, &p->n_send, text_of(c), &md->truncated);
        if (is_el(c, "recv")) assoc_add(p->recv, &p->n_recv, text_of(c), &md->truncated);
    }
}

/* ------------------------------ the parse ------------------------------- */

static bool contains_ci(const char *s, size_t len, const char *needle)
{
    return sv_ifind(sv_make(s, len), sv_from_cstr(needle)) >= 0;
}

/* Depth and element count of the tree, without recursion. */
static bool tree_within_limits(xmlNode *root)
{
    unsigned depth = 1, elements = 0;
    xmlNode *n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && ++elements > SRS_MD_MAX_ELEMENTS) return false;
        if (n->children && n->type == XML_ELEMENT_NODE) {
            if (++depth > SRS_MD_MAX_DEPTH) return false;
            n = n->children;
            continue;
        }
        while (n && !n->next && n != root) {
            n = n->parent;
            depth--;
        }
        if (!n || n == root) break;
        n = n->next;
    }
    return true;
}

int srs_metadata_apply(srs_metadata_t *md, const char *xml, size_t len, size_t max_bytes, char *err,
                       size_t errlen)
{
    if (!xml || len == 0) {
        snprintf(err, errlen, "empty metadata");
        return -1;
    }
    if (len > max_bytes) {
        snprintf(err, errlen, "metadata of %zu bytes exceeds %zu", len, max_bytes);
        return -1;
    }
    if (len > INT32_MAX) {
        snprintf(err, errlen, "metadata too large");
        return -1;
    }
    if (contains_ci(xml, len, "<!DOCTYPE") || contains_ci(xml, len, "<!ENTITY")) {
        snprintf(err, errlen, "metadata with a DTD or entity declarations refused");
        return -1;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_NOCDATA);
    int rc = -1;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        snprintf(err, errlen, "metadata is not well-formed XML (line %d)", e ? e->line : 0);
        goto out;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, errlen, "metadata with a DTD refused");
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !(is_el(root, "recording") || is_el(root, "recording_metadata"))) {
        snprintf(err, errlen, "metadata root element is not <recording>");
        goto out;
    }
    if (!tree_within_limits(root)) {
        snprintf(err, errlen, "metadata nested deeper than %d or over %d elements",
                 SRS_MD_MAX_DEPTH, SRS_MD_MAX_ELEMENTS);
        goto out;
    }
    bool partial = false;
    for (xmlNode *c = root->children; c; c = c->next)
        if (is_el(c, "datamode")) {
            char *m = text_of(c);
            partial = m && strcasecmp(m, "partial") == 0;
            free(m);
        }
    if (!partial) model_clear(md);
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || is_el(c, "datamode")) continue;
        if (is_el(c, "participant"))
            on_participant(md, doc, c);
        else if (is_el(c, "stream"))
            on_stream(md, c);
        else if (is_el(c, "session"))
            on_session(md, doc, c);
        else if (is_el(c, "group"))
            on_group(md, doc, c);
        else if (is_el(c, "participantstreamassoc"))
            on_stream_assoc(md, c);
        else if (is_el(c, "participantsessionassoc") || is_el(c, "sessionrecordingassoc"))
            continue;
        else {
            scan_extension_call_ids(md, c, 0);
            keep_extension(md, doc, c);
        }
    }
    md->updates++;
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, xml, len);
        copy[len] = '\0';
        free(md->last_xml);
        md->last_xml = copy;
    }
    rc = 0;
out:
    if (doc) xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}

const srs_md_participant_t *srs_metadata_sender(const srs_metadata_t *md, const char *stream_id)
{
    if (!stream_id) return NULL;
    for (uint32_t i = 0; i < md->n_participants; i++) {
        const srs_md_participant_t *p = &md->participants[i];
        for (unsigned k = 0; k < p->n_send; k++)
            if (strcmp(p->send[k], stream_id) == 0) return p;
    }
    return NULL;
}

const srs_md_stream_t *srs_metadata_stream_by_label(const srs_metadata_t *md, const char *label)
{
    if (!label) return NULL;
    for (uint32_t i = 0; i < md->n_streams; i++)
        if (str_eq(md->streams[i].label, label)) return &md->streams[i];
    return NULL;
}
