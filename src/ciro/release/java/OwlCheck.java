/*
 * OwlCheck: load OWL ontologies with the OWL API and report, as one JSON object on stdout,
 * what the OWL API (and therefore Protégé) makes of them.
 *
 * Usage: java OwlCheck [--catalog catalog-v001.xml] [--online] [--strict] FILE...
 *
 *   --catalog  XML catalog (Protégé's catalog-v001.xml); each <uri name=".." uri=".."/> maps an
 *              ontology IRI to a document, relative to the catalog (or an enclosing xml:base).
 *   --online   also fetch imports that the catalog does not map from their IRI. By default imports
 *              are never fetched from the network: an unmapped import is reported as missing,
 *              which keeps checks reproducible and fast.
 *   --strict   OWL API strict parsing (no guessing of undeclared entity types).
 *
 * Written against OWL API 3.4.3 (the version bundled with owlready2's HermiT/Pellet), which has
 * RDFParserMetaData.getUnparsedTriples() and OWL2DLProfile. Exit code 0 whenever a report was
 * written (the caller judges the content), 2 on usage errors. No dependencies beyond the OWL API:
 * the JSON is written by hand.
 */

import java.io.File;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OntologyIRIMappingNotFoundException;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.OWLParser;
import org.semanticweb.owlapi.io.OWLParserException;
import org.semanticweb.owlapi.io.RDFLiteral;
import org.semanticweb.owlapi.io.RDFNode;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFResource;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.io.UnparsableOntologyException;
import org.semanticweb.owlapi.model.AxiomType;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportEvent;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.MissingImportListener;
import org.semanticweb.owlapi.model.OWLAnnotation;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLDeclarationAxiom;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLImportsDeclaration;
import org.semanticweb.owlapi.model.OWLLiteral;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyFormat;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyIRIMapper;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.util.NonMappingOntologyIRIMapper;

public final class OwlCheck {

    private static final String USAGE =
        "usage: java OwlCheck [--catalog catalog-v001.xml] [--online] [--strict] FILE...";

    private OwlCheck() {
    }

    public static void main(String[] args) {
        // Parsers and loggers may print to System.out; keep the real stdout for the JSON only.
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);

        List<File> catalogs = new ArrayList<>();
        List<File> files = new ArrayList<>();
        boolean online = false;
        boolean strict = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--catalog")) {
                if (i + 1 >= args.length) {
                    usage("--catalog needs a file");
                }
                catalogs.add(new File(args[++i]).getAbsoluteFile());
            } else if (a.equals("--online")) {
                online = true;
            } else if (a.equals("--strict")) {
                strict = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                System.err.println(USAGE);
                System.exit(2);
            } else if (a.startsWith("--")) {
                usage("unknown option " + a);
            } else {
                files.add(new File(a).getAbsoluteFile());
            }
        }
        if (files.isEmpty()) {
            usage("no input files");
        }

        Map<String, IRI> mapping = new HashMap<>();
        for (File catalog : catalogs) {
            try {
                readCatalog(catalog, mapping);
            } catch (Exception e) {
                usage("cannot read catalog " + catalog + ": " + e);
            }
        }

        StringBuilder json = new StringBuilder();
        json.append("{\"owlapi_version\":").append(str(owlApiVersion()));
        json.append(",\"catalog_entries\":").append(mapping.size());
        json.append(",\"files\":[");
        for (int i = 0; i < files.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            checkFile(files.get(i), mapping, online, strict, json);
        }
        json.append("]}");
        out.println(json);
        out.flush();
        System.exit(0);
    }

    private static void usage(String message) {
        System.err.println("OwlCheck: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }

    private static String owlApiVersion() {
        Package p = OWLManager.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "3.4.3" : v;
    }

    // ---------------------------------------------------------------- catalog

    /** Reads OASIS XML catalog <uri name=".." uri=".."/> entries (what Protégé writes and reads). */
    private static void readCatalog(File catalog, Map<String, IRI> mapping) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setValidating(false);
        // Catalogs often carry an OASIS DOCTYPE; never fetch it from the network.
        dbf.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        DocumentBuilder db = dbf.newDocumentBuilder();
        org.w3c.dom.Document doc = db.parse(catalog);
        org.w3c.dom.NodeList uris = doc.getElementsByTagNameNS("*", "uri");
        for (int i = 0; i < uris.getLength(); i++) {
            org.w3c.dom.Element e = (org.w3c.dom.Element) uris.item(i);
            String name = e.getAttribute("name").trim();
            String target = e.getAttribute("uri").trim();
            if (name.isEmpty() || target.isEmpty()) {
                continue;
            }
            URI base = baseOf(e, catalog.toURI());
            mapping.put(name, IRI.create(base.resolve(URI.create(target))));
        }
    }

    private static final String XML_NS = "http://www.w3.org/XML/1998/namespace";

    /** The base URI for a catalog entry: the catalog file, modified by any xml:base on ancestors. */
    private static URI baseOf(org.w3c.dom.Element e, URI catalogUri) {
        List<String> bases = new ArrayList<>();
        for (org.w3c.dom.Node n = e; n instanceof org.w3c.dom.Element; n = n.getParentNode()) {
            String b = ((org.w3c.dom.Element) n).getAttributeNS(XML_NS, "base");
            if (b != null && !b.trim().isEmpty()) {
                bases.add(0, b.trim());
            }
        }
        URI base = catalogUri;
        for (String b : bases) {
            base = base.resolve(URI.create(b));
        }
        return base;
    }

    /** Catalog lookups; unmapped IRIs return null, so the manager falls through to the next mapper. */
    private static final class CatalogMapper implements OWLOntologyIRIMapper {
        private final Map<String, IRI> mapping;

        CatalogMapper(Map<String, IRI> mapping) {
            this.mapping = mapping;
        }

        @Override
        public IRI getDocumentIRI(IRI ontologyIRI) {
            return mapping.get(ontologyIRI.toString());
        }
    }

    // ---------------------------------------------------------------- one file

    @SuppressWarnings("deprecation") // setSilentMissingImportsHandling: see below
    private static void checkFile(File file, Map<String, IRI> mapping, boolean online, boolean strict,
                                  StringBuilder json) {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // Replace the default "the IRI is its own document" mapper: offline, an import that the
        // catalog does not map fails with OWLOntologyIRIMappingNotFoundException instead of a
        // network fetch. addIRIMapper prepends, so the catalog is consulted first.
        manager.clearIRIMappers();
        if (online) {
            manager.addIRIMapper(new NonMappingOntologyIRIMapper());
        }
        manager.addIRIMapper(new CatalogMapper(mapping));

        // Record missing imports instead of aborting the load, so the rest is still checked.
        final List<String> missingImports = new ArrayList<>();
        final List<String> parseErrors = new ArrayList<>();
        manager.addMissingImportListener(new MissingImportListener() {
            @Override
            public void importMissing(MissingImportEvent event) {
                String iri = event.getImportedOntologyURI().toString();
                if (!missingImports.contains(iri)) {
                    missingImports.add(iri);
                    parseErrors.add("missing import <" + iri + ">: " + describeImportFailure(event));
                }
            }
        });
        // The RDF parsers request imports without passing our loader configuration, so the
        // manager-wide flag is what actually turns a missing import into an event.
        manager.setSilentMissingImportsHandling(true);
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
            .setStrict(strict);

        json.append("{\"file\":").append(str(file.getPath()));
        OWLOntology ont = null;
        if (!file.isFile()) {
            parseErrors.add("no such file: " + file.getPath());
        } else {
            try {
                ont = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(file), config);
            } catch (UnparsableOntologyException e) {
                parseErrors.addAll(describeUnparsable(e));
            } catch (OWLOntologyCreationException e) {
                parseErrors.add(firstLine(e.getClass().getSimpleName() + ": " + e.getMessage()));
            } catch (RuntimeException | LinkageError e) {
                parseErrors.add(firstLine("internal error: " + e));
            }
        }

        json.append(",\"loaded\":").append(ont != null);
        if (ont == null) {
            json.append(",\"ontology_iri\":null,\"version_iri\":null,\"format\":null");
            json.append(",\"axioms\":0,\"logical_axioms\":0,\"classes\":0,\"object_properties\":0");
            json.append(",\"data_properties\":0,\"annotation_properties\":0,\"individuals\":0");
            json.append(",\"imports\":[],\"loaded_imports\":[]");
            json.append(",\"missing_imports\":").append(strList(missingImports));
            json.append(",\"parse_errors\":").append(strList(parseErrors));
            json.append(",\"unparsed_triples\":[],\"malformed_axioms\":[],\"dl_violations\":[]");
            json.append(",\"undeclared_entities\":[]}");
            return;
        }

        OWLOntologyID id = ont.getOntologyID();
        OWLOntologyFormat format = manager.getOntologyFormat(ont);
        json.append(",\"ontology_iri\":").append(iriOrNull(id.getOntologyIRI()));
        json.append(",\"version_iri\":").append(iriOrNull(id.getVersionIRI()));
        json.append(",\"format\":").append(format == null ? "null" : str(format.toString()));
        // Counts are for this document only (not its imports), like Protégé's metrics view.
        json.append(",\"axioms\":").append(ont.getAxiomCount());
        json.append(",\"logical_axioms\":").append(ont.getLogicalAxiomCount());
        json.append(",\"classes\":").append(ont.getClassesInSignature().size());
        json.append(",\"object_properties\":").append(ont.getObjectPropertiesInSignature().size());
        json.append(",\"data_properties\":").append(ont.getDataPropertiesInSignature().size());
        json.append(",\"annotation_properties\":").append(ont.getAnnotationPropertiesInSignature().size());
        json.append(",\"individuals\":").append(ont.getIndividualsInSignature().size());

        Set<String> imports = new TreeSet<>();
        for (OWLImportsDeclaration d : ont.getImportsDeclarations()) {
            imports.add(d.getIRI().toString());
        }
        json.append(",\"imports\":").append(strList(imports));

        Set<OWLOntology> closure = manager.getImportsClosure(ont);
        Set<String> loadedImports = new TreeSet<>();
        for (OWLOntology o : closure) {
            if (o != ont) {
                IRI iri = o.getOntologyID().getOntologyIRI();
                loadedImports.add(String.valueOf(iri != null ? iri : manager.getOntologyDocumentIRI(o)));
            }
        }
        json.append(",\"loaded_imports\":").append(strList(loadedImports));
        json.append(",\"missing_imports\":").append(strList(missingImports));
        json.append(",\"parse_errors\":").append(strList(parseErrors));

        // The RDF parsers record triples they could not turn into axioms (e.g. a restriction
        // without owl:onProperty). Protégé drops these silently; we surface them.
        Set<String> unparsed = new TreeSet<>();
        OWLOntologyLoaderMetaData meta = format == null ? null : format.getOntologyLoaderMetaData();
        if (meta instanceof RDFParserMetaData) {
            for (RDFTriple t : ((RDFParserMetaData) meta).getUnparsedTriples()) {
                unparsed.add(triple(t));
            }
        }
        json.append(",\"unparsed_triples\":").append(strList(unparsed));

        // Without --strict, OWL API 3 replaces a class expression it cannot build (e.g. a
        // restriction without owl:onProperty) by a fresh class in the ERROR_NS namespace.
        Set<String> malformed = new TreeSet<>();
        for (OWLOntology o : closure) {
            for (OWLAxiom ax : o.getAxioms()) {
                for (OWLEntity e : ax.getSignature()) {
                    if (isErrorEntity(e)) {
                        malformed.add(ax.toString());
                        break;
                    }
                }
            }
        }
        json.append(",\"malformed_axioms\":").append(strList(malformed));

        List<String> violations = new ArrayList<>();
        try {
            // checkOntology covers the whole imports closure.
            for (OWLProfileViolation v : new OWL2DLProfile().checkOntology(ont).getViolations()) {
                violations.add(v.toString().trim());
            }
        } catch (RuntimeException e) {
            violations.add("profile check failed: " + e);
        }
        json.append(",\"dl_violations\":").append(strList(new TreeSet<>(violations)));

        json.append(",\"undeclared_entities\":[");
        boolean first = true;
        for (OWLEntity e : undeclared(closure)) {
            if (!first) {
                json.append(',');
            }
            first = false;
            json.append("{\"type\":").append(str(e.getEntityType().getName()));
            json.append(",\"iri\":").append(str(e.getIRI().toString())).append('}');
        }
        json.append("]}");
    }

    /** Entities used somewhere in the imports closure with no Declaration axiom anywhere in it. */
    private static List<OWLEntity> undeclared(Set<OWLOntology> closure) {
        Set<OWLEntity> declared = new HashSet<>();
        Set<OWLEntity> used = new HashSet<>();
        for (OWLOntology o : closure) {
            for (OWLDeclarationAxiom d : o.getAxioms(AxiomType.DECLARATION)) {
                declared.add(d.getEntity());
            }
            for (OWLAxiom ax : o.getAxioms()) {
                if (ax.getAxiomType() == AxiomType.DECLARATION) {
                    // Annotations on a declaration still use their annotation properties.
                    for (OWLAnnotation a : ax.getAnnotations()) {
                        used.addAll(a.getSignature());
                    }
                } else {
                    used.addAll(ax.getSignature());
                }
            }
            for (OWLAnnotation a : o.getAnnotations()) {
                used.addAll(a.getSignature());
            }
        }
        List<OWLEntity> result = new ArrayList<>();
        for (OWLEntity e : used) {
            // Error placeholders are reported as malformed_axioms, not as missing declarations.
            if (!e.isBuiltIn() && !declared.contains(e) && !isErrorEntity(e)) {
                result.add(e);
            }
        }
        result.sort((a, b) -> {
            int c = a.getIRI().toString().compareTo(b.getIRI().toString());
            return c != 0 ? c : a.getEntityType().getName().compareTo(b.getEntityType().getName());
        });
        return result;
    }

    /** Namespace of the placeholder classes/properties the OWL API 3 RDF parser invents. */
    private static final String ERROR_NS = "http://org.semanticweb.owlapi/error#";

    private static boolean isErrorEntity(OWLEntity e) {
        return e.getIRI().toString().startsWith(ERROR_NS);
    }

    // ---------------------------------------------------------------- messages

    private static String describeImportFailure(MissingImportEvent event) {
        OWLOntologyCreationException e = event.getCreationException();
        if (e instanceof OntologyIRIMappingNotFoundException) {
            return "not mapped by the catalog (imports are not fetched from the network without --online)";
        }
        if (e instanceof UnparsableOntologyException) {
            return String.join("; ", describeUnparsable((UnparsableOntologyException) e));
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return firstLine(root.getClass().getSimpleName() + ": " + root.getMessage());
    }

    /**
     * UnparsableOntologyException's message lists every parser that was tried, with stack traces.
     * Report one line per parser instead, RDF/XML first since that is what CIRO ships.
     */
    private static List<String> describeUnparsable(UnparsableOntologyException e) {
        List<String> rdfxml = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (Map.Entry<OWLParser, OWLParserException> entry : e.getExceptions().entrySet()) {
            String parser = entry.getKey().getClass().getSimpleName();
            OWLParserException pe = entry.getValue();
            Throwable cause = pe.getCause() != null ? pe.getCause() : pe;
            String msg = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
            String where = "";
            if (pe.getLineNumber() > 0) {
                where = " (line " + pe.getLineNumber() + ", column " + pe.getColumnNumber() + ")";
            } else if (cause instanceof org.xml.sax.SAXParseException) {
                // The RDF/XML parser wraps the XML error without copying its position.
                org.xml.sax.SAXParseException sax = (org.xml.sax.SAXParseException) cause;
                where = " (line " + sax.getLineNumber() + ", column " + sax.getColumnNumber() + ")";
            }
            String line = firstLine(parser + where + ": " + msg);
            (parser.startsWith("RDFXML") ? rdfxml : others).add(line);
        }
        rdfxml.addAll(others);
        if (rdfxml.isEmpty()) {
            rdfxml.add("unparsable ontology: " + firstLine(String.valueOf(e.getMessage())));
        }
        return rdfxml;
    }

    private static String firstLine(String s) {
        String t = s.trim();
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl).trim();
        }
        return t.length() > 500 ? t.substring(0, 500) + "..." : t;
    }

    /** N-Triples-like rendering: <iri>, _:blank, "literal"^^<datatype> / "literal"@lang. */
    private static String triple(RDFTriple t) {
        return node(t.getSubject()) + " " + node(t.getPredicate()) + " " + node(t.getObject());
    }

    private static String node(RDFNode n) {
        if (n instanceof RDFResource) {
            RDFResource r = (RDFResource) n;
            String s = r.getResource().toString();
            if (r.isAnonymous()) {
                // Blank-node ids are parser-generated ("_:genid12"); they only link triples.
                if (s.startsWith("_:")) {
                    return s;
                }
                return "_:" + s.substring(Math.max(s.lastIndexOf('#'), s.lastIndexOf('/')) + 1);
            }
            return "<" + s + ">";
        }
        if (n instanceof RDFLiteral) {
            OWLLiteral lit = ((RDFLiteral) n).getLiteral();
            String lex = "\"" + lit.getLiteral().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            if (lit.hasLang()) {
                return lex + "@" + lit.getLang();
            }
            if (lit.isRDFPlainLiteral()) {
                return lex;
            }
            return lex + "^^<" + lit.getDatatype().getIRI() + ">";
        }
        return String.valueOf(n);
    }

    // ---------------------------------------------------------------- JSON

    private static String iriOrNull(IRI iri) {
        return iri == null ? "null" : str(iri.toString());
    }

    private static String strList(Collection<String> items) {
        StringBuilder b = new StringBuilder("[");
        boolean first = true;
        for (String s : items) {
            if (!first) {
                b.append(',');
            }
            first = false;
            b.append(str(s));
        }
        return b.append(']').toString();
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
