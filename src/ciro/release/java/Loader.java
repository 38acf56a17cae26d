/*
 * Loading for OwlCheck: an OWL API 5 manager that resolves owl:imports through an XML catalog
 * (Protégé's catalog-v001.xml) and, unless online, never through the network; missing imports and
 * parse failures are collected as messages instead of aborting the load.
 */

import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OWLParser;
import org.semanticweb.owlapi.io.OWLParserException;
import org.semanticweb.owlapi.io.UnparsableOntologyException;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportEvent;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyIRIMapper;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;

final class Loader {

    /** What loading one file gave: the ontology (null if it did not load) and every problem met. */
    static final class Loaded {
        final OWLOntologyManager manager;
        final OWLOntology ontology;
        final List<String> missingImports;
        final List<String> parseErrors;

        Loaded(OWLOntologyManager manager, OWLOntology ontology, List<String> missingImports,
               List<String> parseErrors) {
            this.manager = manager;
            this.ontology = ontology;
            this.missingImports = missingImports;
            this.parseErrors = parseErrors;
        }
    }

    /**
     * Where unmapped imports point, offline. OWL API 5 falls back to fetching the ontology IRI itself
     * when no mapper answers, so an offline mapper must answer for every IRI; a document that cannot
     * exist (in a directory nobody creates) fails at once, locally, and through the missing-import
     * listener (a URL scheme without a handler would abort the whole load instead).
     */
    private static final File NOWHERE = new File(System.getProperty("java.io.tmpdir"),
        "owlcheck-offline-" + UUID.randomUUID() + File.separator + "unmapped.owl");

    private final Map<String, IRI> catalog;
    private final boolean online;
    private final boolean strict;

    Loader(Map<String, IRI> catalog, boolean online, boolean strict) {
        this.catalog = catalog;
        this.online = online;
        this.strict = strict;
    }

    /** Load one file with its imports closure, in a manager of its own. */
    Loaded load(File file) {
        List<String> missingImports = new ArrayList<>();
        List<String> parseErrors = new ArrayList<>();
        Set<String> unmapped = new HashSet<>();
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        manager.getIRIMappers().clear();
        manager.getIRIMappers().add((OWLOntologyIRIMapper) ontologyIRI -> {
            IRI mapped = catalog.get(ontologyIRI.toString());
            if (mapped != null || online) {
                return mapped; // null online: the manager fetches the IRI itself
            }
            unmapped.add(ontologyIRI.toString());
            return IRI.create(NOWHERE);
        });
        // Record missing imports instead of aborting the load, so the rest is still checked.
        manager.addMissingImportListener((MissingImportEvent event) -> {
            String iri = event.getImportedOntologyURI().toString();
            if (!missingImports.contains(iri)) {
                missingImports.add(iri);
                String why = unmapped.contains(iri)
                    ? "not mapped by the catalog (imports are not fetched from the network without --online)"
                    : describeFailure(event.getCreationException());
                parseErrors.add("missing import <" + iri + ">: " + why);
            }
        });
        OWLOntologyLoaderConfiguration config = manager.getOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
            .setStrict(strict);
        // The RDF parsers load imports with the manager's configuration, not the one passed in.
        manager.setOntologyLoaderConfiguration(config);

        OWLOntology ontology = null;
        if (!file.isFile()) {
            parseErrors.add("no such file: " + file.getPath());
        } else {
            try {
                ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(file), config);
            } catch (UnparsableOntologyException e) {
                parseErrors.addAll(describeUnparsable(e));
            } catch (OWLOntologyCreationException e) {
                parseErrors.add(firstLine(e.getClass().getSimpleName() + ": " + e.getMessage()));
            } catch (RuntimeException | LinkageError e) {
                parseErrors.add(firstLine("internal error: " + e));
            }
        }
        return new Loaded(manager, ontology, missingImports, parseErrors);
    }

    // ---------------------------------------------------------------- catalog

    /** Reads OASIS XML catalog <uri name=".." uri=".."/> entries (what Protégé writes and reads). */
    static void readCatalog(File catalog, Map<String, IRI> mapping) throws Exception {
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

    // ---------------------------------------------------------------- messages

    private static String describeFailure(OWLOntologyCreationException e) {
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
    static List<String> describeUnparsable(UnparsableOntologyException e) {
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

    static String firstLine(String s) {
        String t = s.trim();
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl).trim();
        }
        return t.length() > 500 ? t.substring(0, 500) + "..." : t;
    }
}
