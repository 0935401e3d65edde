/* Parses an XML document with expat: counts elements, collects an attribute and the
 * text of one element. */
#include <expat.h>
#include <stdio.h>
#include <string.h>

struct seen {
    int elements;
    char lang[16];
    char title[64];
    int in_title;
};

static void start(void *data, const XML_Char *name, const XML_Char **attrs) {
    struct seen *s = data;
    s->elements++;
    for (int i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], "lang") == 0) snprintf(s->lang, sizeof s->lang, "%s", attrs[i + 1]);
    s->in_title = strcmp(name, "title") == 0;
}

static void end(void *data, const XML_Char *name) {
    (void)name;
    ((struct seen *)data)->in_title = 0;
}

static void text(void *data, const XML_Char *chars, int len) {
    struct seen *s = data;
    if (s->in_title) strncat(s->title, chars, (size_t)len < sizeof s->title - strlen(s->title) - 1 ? (size_t)len : sizeof s->title - strlen(s->title) - 1);
}

int main(void) {
    const char *doc = "<?xml version=\"1.0\"?>\n"
                      "<book lang=\"en\"><title>Static &amp; tiny</title>"
                      "<chapter n=\"1\"/><chapter n=\"2\"/></book>";
    struct seen s = {0};
    XML_Parser p = XML_ParserCreate(NULL);
    XML_SetUserData(p, &s);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, text);
    if (XML_Parse(p, doc, (int)strlen(doc), 1) != XML_STATUS_OK) {
        printf("parse error: %s\n", XML_ErrorString(XML_GetErrorCode(p)));
        return 1;
    }
    /* A document that is not well-formed is refused. */
    XML_ParserReset(p, NULL);
    int refused = XML_Parse(p, "<a><b></a>", 10, 1) == XML_STATUS_ERROR;
    XML_ParserFree(p);
    printf("%s: %d elements, lang=%s, title=%s, malformed refused=%d\n", XML_ExpatVersion(),
           s.elements, s.lang, s.title, refused);
    return refused ? 0 : 1;
}
